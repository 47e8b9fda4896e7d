/** 1.5 × 2^52: adding and subtracting it rounds a double to an integer in the FPU's mode, half to even. */
export const ROUNDER = 6755399441055744;

/**
 * Round half to even, as ONNX's QuantizeLinear does (numpy.rint). JavaScript's Math.round rounds
 * halves up (2.5 → 3, -2.5 → -2) and is not it. Exact for |x| < 2^51, far past any quantized range
 * (larger values are integers already and returned as they are).
 */
export function roundHalfToEven(x: number): number {
  if (!(Math.abs(x) < 2 ** 51)) return x;
  return x + ROUNDER - ROUNDER;
}
