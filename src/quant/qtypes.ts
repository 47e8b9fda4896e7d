import { DataType, dtypeName } from '../ir/dtype.js';

/** A quantized integer type and the range values are saturated to. */
export interface QuantRange {
  dtype: DataType;
  qmin: number;
  qmax: number;
}

export interface RangeOptions {
  /** Symmetric signed ranges drop the lowest value (int8 → [-127, 127]) so that zero sits at 0 and ±max are equal. */
  symmetric?: boolean;
  /**
   * 7-bit weights, for processors without VNNI: u8 × s8 products summed in pairs can overflow
   * int16 in their int8 kernels (onnxruntime's reduce_range).
   */
  reduceRange?: boolean;
}

/** The [qmin, qmax] a tensor of this type is quantized into, as onnxruntime's quantizer chooses. */
export function quantRange(dtype: DataType, options: RangeOptions = {}): QuantRange {
  const { symmetric = false, reduceRange = false } = options;
  switch (dtype) {
    case DataType.INT8:
      if (reduceRange) return { dtype, qmin: -64, qmax: 64 };
      return symmetric ? { dtype, qmin: -127, qmax: 127 } : { dtype, qmin: -128, qmax: 127 };
    case DataType.UINT8:
      return reduceRange ? { dtype, qmin: 0, qmax: 127 } : { dtype, qmin: 0, qmax: 255 };
    case DataType.INT16:
      return symmetric ? { dtype, qmin: -32767, qmax: 32767 } : { dtype, qmin: -32768, qmax: 32767 };
    case DataType.UINT16:
      return { dtype, qmin: 0, qmax: 65535 };
    case DataType.INT4:
      return symmetric ? { dtype, qmin: -7, qmax: 7 } : { dtype, qmin: -8, qmax: 7 };
    case DataType.UINT4:
      return { dtype, qmin: 0, qmax: 15 };
    default:
      throw new TypeError(`${dtypeName(dtype)} is not a quantized integer type`);
  }
}
