import { blockCount } from './int4.js';
import { ROUNDER } from './rounding.js';
import { codeRange, quantizeValue, rtnParams, type BlockParams, type BlockShape } from './int4-blocks.js';

export interface ClipSearchOptions {
  /** Smallest fraction of the block's range tried (GPTQ's reference quantizer: 0.2). */
  minShrink?: number;
  /** Step between the fractions tried (the reference: 0.01). */
  step?: number;
  /** Exponent of the error |w − ŵ|^norm each candidate is scored by (the reference: 2.4). */
  norm?: number;
}

export const CLIP_DEFAULTS: Required<ClipSearchOptions> = { minShrink: 0.5, step: 0.01, norm: 2.4 };

/**
 * Block parameters from a clipped range: each block's range [lo, hi] (symmetric: its largest
 * magnitude) shrunk by a factor p ∈ [minShrink, 1], the p of least Σ weight_r·|w − ŵ|^norm kept,
 * per block and column — the `mse` grid search of GPTQ's reference quantizer. `rowWeights`
 * (optional, one per row of `w`) weighs the rows' errors, e.g. by the Hessian's diagonal so that
 * rows whose inputs carry more energy count more. p = 1 is round-to-nearest's choice, so the
 * result is never worse than rtnParams by this measure.
 */
export function clipSearchParams(w: ArrayLike<number>, shape: BlockShape, rowWeights?: ArrayLike<number>, options: ClipSearchOptions = {}): BlockParams {
  const { minShrink, step, norm } = { ...CLIP_DEFAULTS, ...options };
  const { k, n, blockSize, symmetric } = shape;
  const { max, mid } = codeRange(shape.bits);
  const round = shape.roundScale ?? Math.fround;
  const full = rtnParams(w, shape);
  const scales = Float32Array.from(full.scales);
  const zeros = Uint8Array.from(full.zeros);
  const blocks = blockCount(k, blockSize);
  const best = new Float64Array(n);
  const err = new Float64Array(n);
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  const cs = new Float32Array(n);
  const cz = new Uint8Array(n);
  const steps = Math.round((1 - minShrink) / step);
  for (let b = 0; b < blocks; b++) {
    const r0 = b * blockSize;
    const r1 = Math.min(k, r0 + blockSize);
    const at = b * n;
    lo.fill(0);
    hi.fill(0);
    for (let r = r0; r < r1; r++) {
      for (let c = 0; c < n; c++) {
        const v = w[r * n + c]!;
        if (v < lo[c]!) lo[c] = v;
        else if (v > hi[c]!) hi[c] = v;
      }
    }
    best.fill(Infinity);
    for (let i = 0; i <= steps; i++) {
      const p = 1 - i * step;
      for (let c = 0; c < n; c++) {
        if (symmetric) {
          const m = hi[c]! > -lo[c]! ? hi[c]! : lo[c]!;
          cs[c] = round((m * p) / -mid);
          cz[c] = mid;
        } else {
          const s = round(((hi[c]! - lo[c]!) * p) / max);
          cs[c] = s;
          cz[c] = s === 0 ? mid : Math.min(max, Math.max(0, Math.fround((-lo[c]! * p) / s) + ROUNDER - ROUNDER));
        }
      }
      err.fill(0);
      for (let r = r0; r < r1; r++) {
        const weight = rowWeights ? rowWeights[r]! : 1;
        const row = r * n;
        for (let c = 0; c < n; c++) {
          const v = w[row + c]!;
          const d = Math.abs(v - Math.fround((quantizeValue(v, cs[c]!, cz[c]!, max) - cz[c]!) * cs[c]!));
          err[c]! += weight * Math.pow(d, norm);
        }
      }
      for (let c = 0; c < n; c++) {
        if (err[c]! < best[c]!) {
          best[c] = err[c]!;
          scales[at + c] = cs[c]!;
          zeros[at + c] = cz[c]!;
        }
      }
    }
  }
  return { scales, zeros };
}
