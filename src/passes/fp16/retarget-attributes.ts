import { attr } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtype.js';
import type { Node } from '../../ir/node.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { float32ArrayToHalf, halfToFloat } from '../../ir/tensor/float16.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import { toFloat32, typedData } from '../../ir/tensor/values.js';

type FloatKind = DataType.FLOAT | DataType.FLOAT16;

/** Attributes that name the element type of a node's output, by op type. */
const DTYPE_ATTRIBUTE: Record<string, string> = {
  Cast: 'to',
  EyeLike: 'dtype',
  RandomNormal: 'dtype',
  RandomUniform: 'dtype',
  RandomNormalLike: 'dtype',
  RandomUniformLike: 'dtype',
  Bernoulli: 'dtype',
  HannWindow: 'output_datatype',
  HammingWindow: 'output_datatype',
  BlackmanWindow: 'output_datatype',
  MelWeightMatrix: 'output_datatype',
  DequantizeLinear: 'output_dtype',
};

/**
 * Make a node that produced `from` produce `to`: Cast(to=FLOAT) becomes Cast(to=FLOAT16) and the
 * like, and ConstantOfShape's fill value changes type (its absent default is a float32 zero).
 * Returns whether anything changed.
 */
export function retargetOutputType(node: Node, from: FloatKind, to: FloatKind): boolean {
  if (node.domain !== '') return false;
  if (node.opType === 'ConstantOfShape') return retargetFill(node, from, to);
  const name = DTYPE_ATTRIBUTE[node.opType];
  if (!name || node.attrInt(name) !== from) return false;
  node.setAttr(name, attr.int(to));
  return true;
}

function retargetFill(node: Node, from: FloatKind, to: FloatKind): boolean {
  const value = node.attrTensor('value');
  if (!value) {
    if (from !== DataType.FLOAT) return false;
    node.setAttr('value', attr.tensor(floatTensorAs(to, [1], new Float32Array(1))));
    return true;
  }
  if (value.dtype !== from) return false;
  node.setAttr('value', attr.tensor(convertFloatTensor(value, to)));
  return true;
}

/** A float32 or float16 tensor in the other float type (values beyond fp16's range become ±inf). */
export function convertFloatTensor(tensor: Tensor, to: FloatKind): DenseTensor {
  const values = tensor.dtype === DataType.FLOAT16 && to === DataType.FLOAT ? halfBitsToFloat32(typedData(tensor) as Uint16Array) : toFloat32(tensor);
  return floatTensorAs(to, tensor.dims, values, tensor);
}

function floatTensorAs(to: FloatKind, dims: readonly number[], values: Float32Array, like?: Tensor): DenseTensor {
  const meta = like ? { ...like.meta, storage: 'raw' as const } : undefined;
  // toFloat32 returns a view of a float32 tensor's own bytes: copy so the result owns its data.
  const own = like?.dtype === DataType.FLOAT ? Float32Array.from(values) : values;
  if (to === DataType.FLOAT) return DenseTensor.fromTyped(DataType.FLOAT, [...dims], own, meta);
  return DenseTensor.fromTyped(DataType.FLOAT16, [...dims], float32ArrayToHalf(values), meta);
}

let halfTable: Float32Array | undefined;

/**
 * float16 bits → float32 through a 65536-entry table (256 KiB, built once): exact, and several
 * times faster than decoding each element, which matters for an 88 MB fp16 model.
 */
export function halfBitsToFloat32(bits: Uint16Array): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  const table = halfTable;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}
