import { roundHalfToEven } from './rounding.js';
import type { QuantRange } from './qtypes.js';

export interface ScaleZeroPoint {
  scale: number;
  zeroPoint: number;
}

/**
 * Scale and zero point that map the real range [rmin, rmax] onto [qmin, qmax], as onnxruntime's
 * quantizer computes them: the range is widened to contain 0 (so that 0 is exactly representable,
 * which padding and ReLU rely on); symmetric ranges are centred on 0. A range of width 0 gets
 * scale 1 so that nothing divides by zero.
 */
export function computeScaleZeroPoint(rmin: number, rmax: number, range: QuantRange, symmetric = false): ScaleZeroPoint {
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax)) throw new RangeError(`range [${rmin}, ${rmax}] is not finite`);
  let lo = Math.min(rmin, 0);
  let hi = Math.max(rmax, 0);
  if (symmetric) {
    const absmax = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -absmax;
    hi = absmax;
  }
  // Scales are float32 in the model: compute in float32 so what we use is what is stored.
  let scale = Math.fround((hi - lo) / (range.qmax - range.qmin));
  if (scale === 0 || !Number.isFinite(scale) || scale < 1e-30) scale = 1;
  let zeroPoint: number;
  if (symmetric) {
    zeroPoint = range.qmin < 0 ? 0 : roundHalfToEven((range.qmin + range.qmax) / 2);
  } else {
    zeroPoint = roundHalfToEven(range.qmin - lo / scale);
    zeroPoint = Math.max(range.qmin, Math.min(range.qmax, zeroPoint));
  }
  return { scale, zeroPoint };
}
