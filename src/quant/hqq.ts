import { CODE_MAX, SYMMETRIC_ZERO, quantizeInt4Rtn, quantizeRows, type BlockShape, type Int4Blocks } from './int4-blocks.js';
import { ROUNDER } from './rounding.js';

export interface HqqOptions {
  /** Half-quadratic iterations per block (HQQ's default: 20). */
  iterations?: number;
  /** p of the |·|^p error the splitting minimises; p < 1 lets a few values go so the rest fit better (HQQ: 0.7). */
  lpNorm?: number;
  /** Initial weight β of the quadratic coupling term, with errors in units of the block's rtn step. */
  beta?: number;
  /** β grows by this factor every iteration (HQQ: 1.01). */
  kappa?: number;
  /**
   * Keep zero points fractional (HQQ's form; MatMulNBits accepts float zero points). When false
   * the zero is rounded to an integer after each fit and the scale refitted for it (blocked
   * DequantizeLinear takes uint4 zero points only). Symmetric blocks have no zero to fit.
   */
  floatZero?: boolean;
}

export const HQQ_DEFAULTS: Required<HqqOptions> = { iterations: 20, lpNorm: 0.7, beta: 10, kappa: 1.01, floatZero: true };

/**
 * HQQ (Badri & Shaji, "Half-Quadratic Quantization of Large Machine Learning Models", 2023):
 * without data, per block, fit the scale s and zero z to minimise Σ|w − s(q − z)|^p (p = 0.7) by
 * half-quadratic splitting. An auxiliary error e takes the |·|^p term and the sub-problems
 * alternate, starting from round-to-nearest:
 *
 *   q = clamp(rint(w / s + z), 0, 15)
 *   e = u · shrink_p((w − s(q − z)) / u, β)       u = the block's rtn step; shrink_p(x, β) =
 *                                                  sign(x)·max(|x| − |x|^(p−1)/β, 0), the prox of |·|^p
 *   (s, z) = argmin Σ (w − e − s(q − z))²          closed-form least squares (z fixed at 8 when symmetric)
 *   β ← κβ
 *
 * What differs from the paper's code, and why:
 * - the scale is fitted too (the paper fits z only): symmetric blocks have no zero point, so the
 *   scale is all there is to improve;
 * - errors are shrunk in units of the block's step, so β means the same at any weight magnitude;
 * - acceptance: of the iterates (round-to-nearest included) a block keeps the one of least squared
 *   error Σ(w − ŵ)² among those whose largest error max|w − ŵ| is no larger than round-to-nearest's.
 *   The |·|^p objective would trade the block's extreme values for the bulk, and on tinylm letting
 *   those extremes err more costs more bits per byte than the bulk gains (bench/int4-tinylm.mjs).
 *   The fit is never worse than round-to-nearest in either error;
 * - the kept block is then rescaled, codes fixed, so that ŵ's projection on w is w itself
 *   (Σwŵ = Σw², see `unshrink`): a least-squares fit shrinks ŵ towards 0 along w, the same way in
 *   every block, and a trained model feels that shrink in its loss while round-to-nearest has none.
 *   This gives back a little squared error and can move the largest error a little past rtn's.
 */
export function quantizeInt4Hqq(w: ArrayLike<number>, shape: BlockShape, options: HqqOptions = {}): Int4Blocks {
  const { iterations, lpNorm, beta: beta0, kappa, floatZero } = { ...HQQ_DEFAULTS, ...options };
  const round = shape.roundScale ?? Math.fround;
  const rtn = quantizeInt4Rtn(w, shape);
  const { k, n, blockSize, symmetric } = shape;
  const fractional = floatZero && !symmetric;
  const zeros = fractional ? Float32Array.from(rtn.zeros) : rtn.zeros;
  const blocks: Int4Blocks = { ...rtn, zeros };
  const kBlocks = blocks.scales.length / n;
  const s = new Float64Array(n);
  const z = new Float64Array(n);
  const unit = new Float64Array(n);
  const bestErr = new Float64Array(n);
  const worstRef = new Float64Array(n);
  const sumQ = new Float64Array(n);
  const sumQQ = new Float64Array(n);
  const sumT = new Float64Array(n);
  const sumTQ = new Float64Array(n);
  const sse = new Float64Array(n);
  const worst = new Float64Array(n);

  for (let b = 0; b < kBlocks; b++) {
    const r0 = b * blockSize;
    const r1 = Math.min(k, r0 + blockSize);
    const m = r1 - r0;
    const at = b * n;
    for (let c = 0; c < n; c++) {
      s[c] = blocks.scales[at + c]!;
      z[c] = blocks.zeros[at + c]!;
      unit[c] = Math.abs(s[c]!);
      bestErr[c] = Infinity;
    }
    let beta = beta0;
    for (let it = 0; it <= iterations; it++) {
      // Beyond this many steps an error is (partly) split off into e; below it the shrink gives 0.
      const threshold = Math.pow(beta, -1 / (2 - lpNorm));
      sumQ.fill(0);
      sumQQ.fill(0);
      sumT.fill(0);
      sumTQ.fill(0);
      sse.fill(0);
      worst.fill(0);
      for (let r = r0; r < r1; r++) {
        const row = r * n;
        for (let c = 0; c < n; c++) {
          const sc = s[c]!;
          if (sc === 0) continue;
          const v = w[row + c]!;
          const zc = z[c]!;
          // As quantizeRows will: rint(w/s + z) for a fractional zero, rint(w/s) + z for an integer one.
          let q = fractional ? Math.fround(v / sc) + zc + ROUNDER - ROUNDER : Math.fround(v / sc) + ROUNDER - ROUNDER + zc;
          q = q < 0 ? 0 : q > CODE_MAX ? CODE_MAX : q;
          const residual = v - sc * (q - zc);
          const size = Math.abs(residual);
          sse[c] += residual * residual;
          if (size > worst[c]!) worst[c] = size;
          const x = size / unit[c]!;
          // exp(a·log x) rather than Math.pow: half the time, and this is the hot line.
          const split = x > threshold ? Math.max(x - Math.exp((lpNorm - 1) * Math.log(x)) / beta, 0) * unit[c]! : 0;
          const target = residual > 0 ? v - split : v + split;
          sumQ[c] += q;
          sumQQ[c] += q * q;
          sumT[c] += target;
          sumTQ[c] += target * q;
        }
      }
      for (let c = 0; c < n; c++) {
        if (s[c] === 0) continue;
        if (it === 0) worstRef[c] = worst[c]!;
        if (sse[c]! < bestErr[c]! && worst[c]! <= worstRef[c]!) {
          bestErr[c] = sse[c]!;
          blocks.scales[at + c] = s[c]!;
          blocks.zeros[at + c] = z[c]!;
        }
        if (it < iterations) fit(c);
      }
      beta *= kappa;
    }
    quantizeRows(w, shape, blocks, blocks.codes, r0, r1);
    unshrink(w, blocks, b, r0, r1, round);
    function fit(c: number): void {
      let zc = z[c]!;
      if (symmetric) zc = SYMMETRIC_ZERO;
      else {
        // Regression of the targets t on the codes q: t ≈ s·q − s·z.
        const varQ = sumQQ[c]! - (sumQ[c]! * sumQ[c]!) / m;
        if (!(varQ > 0)) return;
        const slope = (sumTQ[c]! - (sumQ[c]! * sumT[c]!) / m) / varQ;
        if (slope === 0) return;
        zc = ((slope * sumQ[c]! - sumT[c]!) / m) / slope;
        zc = floatZero ? round(Math.min(CODE_MAX, Math.max(0, zc))) : Math.min(CODE_MAX, Math.max(0, Math.round(zc)));
      }
      // Given z: s = Σ t(q − z) / Σ (q − z)².
      const num = sumTQ[c]! - zc * sumT[c]!;
      const den = sumQQ[c]! - 2 * zc * sumQ[c]! + zc * zc * m;
      if (den > 0 && num !== 0) {
        s[c] = round(num / den);
        z[c] = zc;
      }
    }
  }
  return blocks;
}

/**
 * Rescale block `b` of every column (its codes and zero kept) so that Σwŵ = Σw².
 *
 * Why: the fit above is least squares, whose residual is orthogonal to ŵ, so Σwŵ = Σŵ² < Σw²:
 * every block comes out shrunk along its own weights by about its relative error, in every layer
 * alike. Round to nearest has no such bias (its errors do not lean towards 0). The gain adds only a
 * second-order amount of squared error ((g − 1)² Σŵ², g − 1 ≈ the block's relative error) and may
 * move the block's largest error by |g − 1|·max|ŵ|. It is applied unconditionally: keeping it only
 * where both errors stayed within round-to-nearest's rejected it in most tinylm blocks and gave back
 * most of its gain. On tinylm it lowered KL(fp32 ‖ int4) by 4–11% and the bits per byte on all of
 * the held-out text in all four settings of bench/int4-tinylm.mjs (block 32/128, sym/asym).
 */
function unshrink(w: ArrayLike<number>, blocks: Int4Blocks, b: number, r0: number, r1: number, round: (x: number) => number): void {
  const { n, codes, scales, zeros } = blocks;
  const at = b * n;
  for (let c = 0; c < n; c++) {
    const s = scales[at + c]!;
    const z = zeros[at + c]!;
    if (s === 0) continue;
    let ww = 0;
    let wd = 0;
    for (let r = r0; r < r1; r++) {
      const v = w[r * n + c]!;
      ww += v * v;
      wd += v * (codes[r * n + c]! - z) * s;
    }
    if (wd > 0) scales[at + c] = round((s * ww) / wd);
  }
}
