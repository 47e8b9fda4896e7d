import { choleskyLower, choleskyUpper, inverseFromCholesky } from './gptq-linalg.js';
import { blockCount } from './int4.js';
import { quantizeValue, rtnParams, type BlockShape, type Int4Blocks } from './int4-blocks.js';

export interface GptqOptions {
  /** Dampening added to H's diagonal, as a fraction of its mean diagonal (the paper's 1%). */
  damp?: number;
  /** Quantize rows in order of decreasing H diagonal (inputs with the most energy first). */
  actOrder?: boolean;
  /** Rows whose error is propagated eagerly before one lazy update of the rest (the paper's B = 128). */
  batch?: number;
  /**
   * Measure each layer's inputs with the layers before it already quantized (default true), as
   * the reference implementation does; false measures every layer on the float model in one pass.
   * Used by the pass that collects Hessians (quantize/int4/gptq-pass.ts), not here.
   */
  sequential?: boolean;
}

export const GPTQ_DEFAULTS: Required<GptqOptions> = { damp: 0.01, actOrder: false, batch: 128, sequential: true };

export interface GptqResult {
  blocks: Int4Blocks;
  /** The dampening fraction used (raised tenfold until H was positive definite). */
  damp: number;
  /** Inputs never active on the calibration data (H diagonal 0): their weight rows became 0. */
  deadInputs: number;
}

/**
 * GPTQ (Frantar et al., "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained
 * Transformers", 2023) for a [K, N] MatMul weight W (y = x·W), given H = Σ xᵀx over the layer's
 * calibration inputs (K × K, float64; any positive multiple of 2XᵀX/n gives the same result).
 *
 * Rows of W (one per input feature, i.e. columns of PyTorch's weight) are quantized one at a time;
 * each one's error, scaled by the inverse Hessian, is pushed onto the rows not yet quantized, so
 * that x·Ŵ stays close to x·W on the calibration inputs:
 *   H ← H + λ·mean(diag H)·I;  U = upper Cholesky factor of H⁻¹
 *   for row i (in order): q_i = quant(w_i); e_i = (w_i − q_i) / U_ii; w_j −= U_ij·e_i for j > i
 * updating within a batch of rows at once and the rest lazily once per batch. Each block's scale
 * and zero point are fixed by round-to-nearest (rtnParams) from the block's rows as they are when
 * its first row comes up, i.e. after the compensation they received. With actOrder, rows go in
 * order of decreasing H diagonal; blocks stay the contiguous K ranges MatMulNBits needs, their
 * parameters fixed when the first of their rows comes up in that order.
 */
export function quantizeInt4Gptq(w: ArrayLike<number>, shape: BlockShape, hessian: Float64Array, options: GptqOptions = {}): GptqResult {
  const { damp: damp0, actOrder, batch } = { ...GPTQ_DEFAULTS, ...options };
  const { k, n, blockSize } = shape;
  if (hessian.length !== k * k) throw new RangeError(`Hessian has ${hessian.length} entries, expected ${k}×${k}`);

  const order = Array.from({ length: k }, (_, i) => i);
  if (actOrder) order.sort((a, b) => hessian[b * k + b]! - hessian[a * k + a]! || a - b);
  const position = new Int32Array(k);
  order.forEach((row, i) => (position[row] = i));

  // W and H in processing order; dead inputs (never non-zero) get a unit diagonal and a zero row.
  const wp = new Float64Array(k * n);
  const h = new Float64Array(k * k);
  let deadInputs = 0;
  for (let i = 0; i < k; i++) {
    const src = order[i]!;
    const dead = hessian[src * k + src] === 0;
    if (dead) deadInputs++;
    else for (let c = 0; c < n; c++) wp[i * n + c] = w[src * n + c]!;
    for (let j = 0; j < k; j++) h[i * k + j] = hessian[src * k + order[j]!]!;
    if (dead) h[i * k + i] = 1;
  }
  let meanDiag = 0;
  for (let i = 0; i < k; i++) meanDiag += h[i * k + i]! / k;

  let damp = damp0;
  let u: Float64Array | undefined;
  for (let attempt = 0; attempt < 6 && !u; attempt++, damp *= 10) {
    const damped = Float64Array.from(h);
    for (let i = 0; i < k; i++) damped[i * k + i]! += damp * meanDiag;
    const l = choleskyLower(damped, k);
    if (l) u = choleskyUpper(inverseFromCholesky(l, k), k);
    if (u) break;
  }
  if (!u) throw new RangeError('the Hessian stays singular even with heavy dampening; the calibration inputs of this layer are degenerate');

  const kBlocks = blockCount(k, blockSize);
  const scales = new Float32Array(kBlocks * n);
  const zeros = new Uint8Array(kBlocks * n);
  const fixed = new Uint8Array(kBlocks);
  const codes = new Uint8Array(k * n);
  const scratch = new Float64Array(blockSize * n);
  const fixBlock = (b: number) => {
    const r0 = b * blockSize;
    const rows = Math.min(k, r0 + blockSize) - r0;
    for (let r = 0; r < rows; r++) scratch.set(wp.subarray(position[r0 + r]! * n, position[r0 + r]! * n + n), r * n);
    const p = rtnParams(scratch.subarray(0, rows * n), { ...shape, k: rows });
    scales.set(p.scales, b * n);
    zeros.set(p.zeros, b * n);
    fixed[b] = 1;
  };

  const errors = new Float64Array(batch * n);
  for (let i1 = 0; i1 < k; i1 += batch) {
    const i2 = Math.min(k, i1 + batch);
    for (let i = i1; i < i2; i++) {
      const row = order[i]!;
      const b = Math.floor(row / blockSize);
      if (!fixed[b]) fixBlock(b);
      const d = u[i * k + i]!;
      const at = b * n;
      const wi = i * n;
      const ei = (i - i1) * n;
      for (let c = 0; c < n; c++) {
        const s = scales[at + c]!;
        const z = zeros[at + c]!;
        const code = quantizeValue(wp[wi + c]!, s, z);
        codes[row * n + c] = code;
        errors[ei + c] = (wp[wi + c]! - Math.fround((code - z) * s)) / d;
      }
      for (let j = i + 1; j < i2; j++) axpy(wp, j * n, -u[i * k + j]!, errors, ei, n);
    }
    for (let j = i2; j < k; j++) {
      for (let i = i1; i < i2; i++) axpy(wp, j * n, -u[i * k + j]!, errors, (i - i1) * n, n);
    }
  }
  return { blocks: { k, n, blockSize, symmetric: shape.symmetric, bits: 4, codes, scales, zeros }, damp, deadInputs };
}

/** y[yAt..] += a · x[xAt..], n values. */
function axpy(y: Float64Array, yAt: number, a: number, x: Float64Array, xAt: number, n: number): void {
  if (a === 0) return;
  for (let c = 0; c < n; c++) y[yAt + c]! += a * x[xAt + c]!;
}
