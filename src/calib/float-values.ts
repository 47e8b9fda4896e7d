import { DataType, dtypeName, type TypedArray } from '../ir/dtype.js';
import { bfloat16ToFloat, halfArrayToFloat32 } from '../ir/tensor/float16.js';
import type { HostTensor } from '../runner/runner.js';
import { LowbitError } from '../errors.js';

/** A float tensor's values as float32, what the observers read (float32 itself is not copied). */
export function floatValues(t: HostTensor, name: string): Float32Array {
  const data = t.data as TypedArray;
  switch (t.dtype) {
    case DataType.FLOAT:
      return data as Float32Array;
    case DataType.FLOAT16:
      return halfArrayToFloat32(data as Uint16Array);
    case DataType.BFLOAT16:
      return Float32Array.from(data as Uint16Array, bfloat16ToFloat);
    case DataType.DOUBLE:
      return Float32Array.from(data as Float64Array);
    default:
      throw new LowbitError(`tensor '${name}' holds ${dtypeName(t.dtype)}, not floats: only float tensors are calibrated`, { code: 'calib-not-float', tensor: name });
  }
}
