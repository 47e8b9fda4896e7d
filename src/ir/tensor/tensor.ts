import { DataType, byteSizeOf, dtypeName } from '../dtype.js';

/** Fields of a TensorProto that describe it rather than hold its data; kept for a faithful round trip. */
export interface TensorMeta {
  /** The TensorProto's own name; for initializers the Value's name is what counts when writing. */
  name: string;
  docString: string;
  metadataProps: [string, string][];
  segment?: { begin: bigint; end: bigint };
  /**
   * How the data was stored when read: in raw_data or in the typed repeated fields (float_data, …).
   * Writing keeps the same form so that a model read and written again changes as little as possible.
   */
  storage: 'raw' | 'typed';
}

export function defaultTensorMeta(name = ''): TensorMeta {
  return { name, docString: '', metadataProps: [], storage: 'raw' };
}

/**
 * A constant tensor. Implementations differ in where the bytes live (a view of the model file,
 * a region of an external data file read on demand, strings), never in what `bytes()` returns:
 * little-endian raw_data layout, sub-byte types packed two (or four) per byte, low nibble first.
 */
export interface Tensor {
  readonly kind: 'dense' | 'external' | 'string';
  readonly dtype: DataType;
  readonly dims: readonly number[];
  readonly meta: TensorMeta;
  /** Number of elements. */
  readonly size: number;
  /** Bytes the payload takes in raw_data form (0 for strings, which have no fixed size). */
  readonly byteLength: number;
  /** The payload. Dense tensors return a view of the bytes they were made from; never mutate it. */
  bytes(): Uint8Array;
}

export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const d of dims) count *= d;
  return count;
}

export function expectedByteLength(dtype: DataType, dims: readonly number[]): number {
  return byteSizeOf(dtype, elementCount(dims));
}

export function describeTensor(t: Pick<Tensor, 'dtype' | 'dims'>): string {
  return `${dtypeName(t.dtype)}[${t.dims.join(',')}]`;
}
