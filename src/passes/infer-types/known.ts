import { DataType, dtypeInfo } from '../../ir/dtype.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import { toNumbers } from '../../ir/tensor/values.js';
import type { Dim } from '../../ir/types.js';

/**
 * The contents of a small tensor that inference knows: a constant, or a value computed from shapes
 * (Shape → Gather → Concat → Reshape). Elements are numbers, symbolic dim names (an element that
 * came from a symbolic dim of a shape) or null (unknown). This is ONNX's "data propagation".
 */
export interface Known {
  dtype: DataType;
  /** Static shape of the tensor itself: [] for a scalar, [n] for a vector. */
  dims: number[];
  values: Dim[];
}

/** Larger tensors are never shapes or parameters worth tracking. */
export const KNOWN_LIMIT = 1024;

const NUMERIC_FOR_KNOWN = new Set<DataType>([
  DataType.INT64,
  DataType.INT32,
  DataType.INT16,
  DataType.INT8,
  DataType.UINT8,
  DataType.UINT16,
  DataType.UINT32,
  DataType.UINT64,
  DataType.BOOL,
  DataType.FLOAT,
  DataType.DOUBLE,
  DataType.FLOAT16,
]);

export function isIntegerType(dtype: DataType): boolean {
  return dtypeInfo(dtype).isInteger;
}

export function knownFromTensor(tensor: Tensor): Known | undefined {
  if (tensor.size > KNOWN_LIMIT || !NUMERIC_FOR_KNOWN.has(tensor.dtype)) return undefined;
  try {
    return { dtype: tensor.dtype, dims: [...tensor.dims], values: toNumbers(tensor) };
  } catch {
    // An external tensor whose file is missing, say: the value is then simply not known.
    return undefined;
  }
}

export function knownVector(dtype: DataType, values: Dim[]): Known {
  return { dtype, dims: [values.length], values };
}

export function knownScalar(dtype: DataType, value: Dim): Known {
  return { dtype, dims: [], values: [value] };
}

/** The elements when every one is a plain number. */
export function knownNumbers(known: Known | undefined): number[] | undefined {
  if (!known || !known.values.every((v): v is number => typeof v === 'number')) return undefined;
  return known.values as number[];
}

/** Elements of a scalar or a 1-D tensor, as dims: what Reshape, Expand, ConstantOfShape read. */
export function knownAsDims(known: Known | undefined): Dim[] | undefined {
  if (!known || known.dims.length > 1) return undefined;
  return known.values;
}

/** Stored values cast to `to`, as Cast computes them; symbols survive casts between integer types. */
export function castKnown(known: Known, to: DataType): Known | undefined {
  // float16 rounding is not modelled; such values are never shapes anyway.
  if (!NUMERIC_FOR_KNOWN.has(to) || to === DataType.FLOAT16) return undefined;
  const toInteger = isIntegerType(to);
  const { min, max } = dtypeInfo(to);
  const values = known.values.map((v): Dim => {
    if (typeof v !== 'number') return toInteger && isIntegerType(known.dtype) ? v : null;
    if (to === DataType.BOOL) return v !== 0 ? 1 : 0;
    if (!toInteger) return to === DataType.FLOAT ? Math.fround(v) : v;
    const truncated = Math.trunc(v);
    // Out-of-range conversions wrap or saturate depending on the runtime: not known.
    if (!Number.isFinite(v) || (min !== undefined && truncated < min) || (max !== undefined && truncated > max)) return null;
    return truncated;
  });
  return { dtype: to, dims: [...known.dims], values };
}
