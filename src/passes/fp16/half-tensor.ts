import { DataType } from '../../ir/dtype.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { HALF_MAX, floatToHalf } from '../../ir/tensor/float16.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import { toFloat32 } from '../../ir/tensor/values.js';

/** What converting one tensor to float16 cost. */
export interface HalfConversion {
  tensor: DenseTensor;
  /** Finite values beyond ±65504, clamped to ±65504. */
  clamped: number;
  /** Largest magnitude among the clamped values (0 when none). */
  largest: number;
  /** Non-zero values so small that they became (signed) zero. */
  flushed: number;
}

const HALF_MAX_BITS = floatToHalf(HALF_MAX);
const SIGN = 0x8000;

/**
 * A float32 tensor as float16. Finite values out of range are clamped rather than turned into
 * infinities (a -3.4e38 attention mask stays a very negative number); ±inf and NaN stay as they
 * are, since float16 has them too.
 */
export function toHalfTensor(tensor: Tensor): HalfConversion {
  const values = toFloat32(tensor);
  const bits = new Uint16Array(values.length);
  let clamped = 0;
  let largest = 0;
  let flushed = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let h = floatToHalf(v);
    if ((h & 0x7c00) === 0x7c00 && Number.isFinite(v)) {
      h = v < 0 ? SIGN | HALF_MAX_BITS : HALF_MAX_BITS;
      clamped++;
      if (Math.abs(v) > largest) largest = Math.abs(v);
    } else if ((h & 0x7fff) === 0 && v !== 0) {
      flushed++;
    }
    bits[i] = h;
  }
  const meta = { ...tensor.meta, storage: 'raw' as const };
  return { tensor: DenseTensor.fromTyped(DataType.FLOAT16, [...tensor.dims], bits, meta), clamped, largest, flushed };
}

/** Whether a float32 tensor holds finite values that float16 cannot represent (beyond ±65504). */
export function exceedsHalfRange(tensor: Tensor): boolean {
  const values = toFloat32(tensor);
  // 65520 is where float16 rounding turns into infinity.
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (a >= 65520 && a !== Infinity) return true;
  }
  return false;
}
