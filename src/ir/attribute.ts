import type { Graph } from './graph.js';
import type { Tensor } from './tensor/tensor.js';
import type { SparseTensor } from './tensor/sparse.js';
import type { ValueType } from './types.js';

/** Attribute kinds, numbered as AttributeProto.AttributeType. */
export enum AttrType {
  UNDEFINED = 0,
  FLOAT = 1,
  INT = 2,
  STRING = 3,
  TENSOR = 4,
  GRAPH = 5,
  FLOATS = 6,
  INTS = 7,
  STRINGS = 8,
  TENSORS = 9,
  GRAPHS = 10,
  SPARSE_TENSOR = 11,
  SPARSE_TENSORS = 12,
  TYPE_PROTO = 13,
  TYPE_PROTOS = 14,
}

/**
 * One attribute. Integers are bigint because ONNX's are int64 and exporters do write INT64_MAX
 * (Slice ends); strings are bytes because ONNX's are. Use the Node helpers to read them as numbers
 * and text.
 */
export type AttributeValue =
  | { type: AttrType.FLOAT; value: number }
  | { type: AttrType.INT; value: bigint }
  | { type: AttrType.STRING; value: Uint8Array }
  | { type: AttrType.TENSOR; value: Tensor }
  | { type: AttrType.GRAPH; value: Graph }
  | { type: AttrType.SPARSE_TENSOR; value: SparseTensor }
  | { type: AttrType.TYPE_PROTO; value: ValueType }
  | { type: AttrType.FLOATS; value: number[] }
  | { type: AttrType.INTS; value: bigint[] }
  | { type: AttrType.STRINGS; value: Uint8Array[] }
  | { type: AttrType.TENSORS; value: Tensor[] }
  | { type: AttrType.GRAPHS; value: Graph[] }
  | { type: AttrType.SPARSE_TENSORS; value: SparseTensor[] }
  | { type: AttrType.TYPE_PROTOS; value: ValueType[] }
  | { type: AttrType.UNDEFINED; value: undefined };

export type Attribute = AttributeValue & {
  name: string;
  /** In function bodies: the attribute takes the value of the caller's attribute of this name. */
  refAttrName?: string;
  docString?: string;
};

const utf8 = new TextEncoder();
const text = new TextDecoder();

export function encodeText(s: string): Uint8Array {
  return utf8.encode(s);
}

export function decodeText(b: Uint8Array): string {
  return text.decode(b);
}

/** Convert a JS number to an int64 attribute value, saturating at the int64 range. */
export function toInt64(n: number | bigint): bigint {
  if (typeof n === 'bigint') return n;
  if (!Number.isFinite(n)) return n > 0 ? 0x7fffffffffffffffn : -0x8000000000000000n;
  const b = BigInt(Math.trunc(n));
  if (b > 0x7fffffffffffffffn) return 0x7fffffffffffffffn;
  if (b < -0x8000000000000000n) return -0x8000000000000000n;
  return b;
}

/** Builders for attribute values, so passes write `attr.ints([1, 2])` rather than bigint literals. */
export const attr = {
  float: (value: number): AttributeValue => ({ type: AttrType.FLOAT, value: Math.fround(value) }),
  int: (value: number | bigint): AttributeValue => ({ type: AttrType.INT, value: toInt64(value) }),
  string: (value: string): AttributeValue => ({ type: AttrType.STRING, value: encodeText(value) }),
  tensor: (value: Tensor): AttributeValue => ({ type: AttrType.TENSOR, value }),
  graph: (value: Graph): AttributeValue => ({ type: AttrType.GRAPH, value }),
  floats: (value: number[]): AttributeValue => ({ type: AttrType.FLOATS, value: value.map(Math.fround) }),
  ints: (value: (number | bigint)[]): AttributeValue => ({ type: AttrType.INTS, value: value.map(toInt64) }),
  strings: (value: string[]): AttributeValue => ({ type: AttrType.STRINGS, value: value.map(encodeText) }),
};

/** Subgraphs held by an attribute (GRAPH and GRAPHS). */
export function attributeGraphs(a: AttributeValue): Graph[] {
  if (a.type === AttrType.GRAPH) return [a.value];
  if (a.type === AttrType.GRAPHS) return a.value;
  return [];
}
