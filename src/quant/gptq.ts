import { GPTQ_DEFAULTS, gptqFactor, gptqSweep, type GptqOptions } from './gptq-core.js';
import { blockCount } from './int4.js';
import { quantizeValue, rtnParams, type BlockShape, type Int4Blocks } from './int4-blocks.js';

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
  const { batch } = { ...GPTQ_DEFAULTS, ...options };
  const { k, n, blockSize } = shape;
  const factor = gptqFactor(hessian, k, options);
  const { order, position, dead } = factor;

  // W in processing order; the rows of dead inputs (never non-zero) stay zero.
  const wp = new Float64Array(k * n);
  for (let i = 0; i < k; i++) {
    const src = order[i]!;
    if (!dead[src]) for (let c = 0; c < n; c++) wp[i * n + c] = w[src * n + c]!;
  }

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

  gptqSweep(wp, factor, n, batch, (i, errors, ei) => {
    const row = order[i]!;
    const b = Math.floor(row / blockSize);
    if (!fixed[b]) fixBlock(b);
    const at = b * n;
    const wi = i * n;
    for (let c = 0; c < n; c++) {
      const s = scales[at + c]!;
      const z = zeros[at + c]!;
      const code = quantizeValue(wp[wi + c]!, s, z);
      codes[row * n + c] = code;
      errors[ei + c] = wp[wi + c]! - Math.fround((code - z) * s);
    }
  });
  return { blocks: { k, n, blockSize, symmetric: shape.symmetric, bits: 4, codes, scales, zeros }, damp: factor.damp, deadInputs: factor.deadInputs };
}
