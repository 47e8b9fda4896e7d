import { DataType, TypedArray, dtypeName } from '../dtype.js';
import { DenseTensor, viewAs } from './dense.js';
import { StringTensor } from './string.js';
import { Tensor } from './tensor.js';
import { bfloat16ToFloat, halfToFloat } from './float16.js';

/** The elements as the dtype's typed array (float16 etc. as bit patterns). Do not mutate. */
export function typedData(tensor: Tensor): TypedArray {
  if (tensor instanceof DenseTensor) return tensor.typed();
  return viewAs(tensor.dtype, tensor.bytes(), tensor.size);
}

/** The elements converted to float32: for weights, scales and anything else used as numbers. */
export function toFloat32(tensor: Tensor): Float32Array {
  const data = typedData(tensor);
  switch (tensor.dtype) {
    case DataType.FLOAT:
      return data as Float32Array;
    case DataType.FLOAT16: {
      const out = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = halfToFloat((data as Uint16Array)[i]!);
      return out;
    }
    case DataType.BFLOAT16: {
      const out = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = bfloat16ToFloat((data as Uint16Array)[i]!);
      return out;
    }
    case DataType.INT64:
    case DataType.UINT64: {
      const out = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = Number((data as BigInt64Array)[i]!);
      return out;
    }
    case DataType.DOUBLE:
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.INT16:
    case DataType.UINT16:
    case DataType.INT32:
    case DataType.UINT32:
    case DataType.BOOL:
      return Float32Array.from(data as ArrayLike<number>);
    default:
      throw new TypeError(`cannot read ${dtypeName(tensor.dtype)} tensor '${tensor.meta.name}' as float32`);
  }
}

/** Integer elements as JS numbers (shapes, axes, indices). int64 beyond 2^53 loses precision, which
 * only happens for sentinels such as INT64_MAX in Slice ends; callers clamp those anyway. */
export function toNumbers(tensor: Tensor): number[] {
  if (tensor instanceof StringTensor) throw new TypeError('string tensor has no numbers');
  if (tensor.dtype === DataType.FLOAT16 || tensor.dtype === DataType.BFLOAT16) return Array.from(toFloat32(tensor));
  const data = typedData(tensor);
  const out = new Array<number>(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
  return out;
}

export function float32Tensor(dims: readonly number[], values: ArrayLike<number>): DenseTensor {
  return DenseTensor.fromTyped(DataType.FLOAT, dims, values instanceof Float32Array ? values : Float32Array.from(values));
}

export function int64Tensor(dims: readonly number[], values: ArrayLike<number | bigint>): DenseTensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return DenseTensor.fromTyped(DataType.INT64, dims, data);
}

export function scalarOf(tensor: Tensor): number | undefined {
  if (tensor.size !== 1 || tensor.kind === 'string') return undefined;
  return toNumbers(tensor)[0];
}
