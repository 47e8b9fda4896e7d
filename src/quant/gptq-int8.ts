import { GPTQ_DEFAULTS, gptqFactor, gptqSweep, type GptqOptions } from './gptq-core.js';
import { roundHalfToEven } from './rounding.js';

/** An 8-bit weight as GPTQ sees it: K inputs × N output channels, y = x·W, and its fixed grid. */
export interface Int8GptqWeight {
  /** K × N row-major: row i holds input i's weight to every output channel. */
  w: ArrayLike<number>;
  k: number;
  n: number;
  /** One per output channel (N) or one for all (per-tensor). */
  scales: Float32Array;
  zeroPoints: ArrayLike<number>;
  qmin: number;
  qmax: number;
}

export interface Int8GptqResult {
  /** K × N codes in the weight's own row order. */
  codes: Int32Array;
  /** The dampening fraction used (raised tenfold until H was positive definite). */
  damp: number;
  /** Inputs never active on the calibration data: their rows are rounded to nearest, unchanged. */
  deadInputs: number;
}

/**
 * GPTQ's rounding for per-channel (or per-tensor) 8-bit weights. The grid stays the one
 * round-to-nearest uses (scales and zero points fixed from the float weight's range beforehand),
 * so the quantized model's form is unchanged; only the integer codes differ: rows are rounded one
 * at a time and each row's error is pushed onto the rows not yet rounded, so that x·Ŵ stays close
 * to x·W on the calibration inputs (H = Σ xᵀx). Where a filter's taps nearly cancel — edge
 * detectors in a depthwise convolution, with batch norm folded in — round-to-nearest leaves errors
 * as large as the output itself; this removes most of them.
 *
 * Unlike 4-bit GPTQ, rows of inputs that were never active keep their round-to-nearest codes
 * (GPTQ would zero them): at 8 bits they cost little, and held-out data may use them.
 */
export function roundInt8Gptq(weight: Int8GptqWeight, hessian: Float64Array, options: GptqOptions = {}): Int8GptqResult {
  const { batch } = { ...GPTQ_DEFAULTS, ...options };
  const { w, k, n, scales, zeroPoints, qmin, qmax } = weight;
  const factor = gptqFactor(hessian, k, options);
  const { order } = factor;
  const perTensor = scales.length === 1;
  const wp = new Float64Array(k * n);
  for (let i = 0; i < k; i++) {
    const src = order[i]! * n;
    for (let c = 0; c < n; c++) wp[i * n + c] = w[src + c]!;
  }
  const codes = new Int32Array(k * n);
  gptqSweep(wp, factor, n, batch, (i, errors, ei) => {
    const row = order[i]!;
    for (let c = 0; c < n; c++) {
      const s = scales[perTensor ? 0 : c]!;
      const z = zeroPoints[perTensor ? 0 : c]!;
      const v = wp[i * n + c]!;
      const code = s === 0 ? z : Math.min(qmax, Math.max(qmin, roundHalfToEven(Math.fround(v / s)) + z));
      codes[row * n + c] = code;
      errors[ei + c] = v - Math.fround((code - z) * s);
    }
  });
  return { codes, damp: factor.damp, deadInputs: factor.deadInputs };
}
