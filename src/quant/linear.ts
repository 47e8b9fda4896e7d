import { roundHalfToEven } from './rounding.js';

type IntArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array;

/**
 * ONNX QuantizeLinear for one scale and zero point:
 * y = saturate(round_half_to_even(x / scale) + zero_point) into [qmin, qmax].
 * The division is done in float32 as the spec's reference does (a float64 quotient rounded to
 * float32 is the correctly rounded float32 quotient).
 */
export function quantizeLinear(
  x: ArrayLike<number>,
  scale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
  out: IntArray,
  start = 0,
  end = x.length,
  stride = 1,
): void {
  for (let i = start; i < end; i += stride) {
    const q = roundHalfToEven(Math.fround(x[i]! / scale)) + zeroPoint;
    out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
}

/** ONNX DequantizeLinear for one scale and zero point: x = (q - zero_point) * scale, in float32. */
export function dequantizeLinear(q: ArrayLike<number>, scale: number, zeroPoint: number, out: Float32Array, start = 0, end = q.length, stride = 1): void {
  for (let i = start; i < end; i += stride) out[i] = Math.fround((q[i]! - zeroPoint) * scale);
}

/**
 * Element ranges of each slice along `axis` for a tensor of shape `dims`: the elements of
 * channel c are `outer` blocks of `inner` contiguous elements. Per-axis code loops over these.
 */
export function axisLayout(dims: readonly number[], axis: number): { outer: number; channels: number; inner: number } {
  const channels = dims[axis]!;
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= dims[i]!;
  let inner = 1;
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i]!;
  return { outer, channels, inner };
}
