import { DataType, TypedArray, dtypeInfo, dtypeName } from '../dtype.js';
import { Tensor, TensorMeta, defaultTensorMeta, elementCount, expectedByteLength } from './tensor.js';

/**
 * A tensor whose bytes are in memory. When decoded from a file, `data` is a subarray view of the
 * file's bytes (no copy); a numeric view is made on first use, copying only when the view would
 * be misaligned (raw_data often starts at an odd offset in the file).
 */
export class DenseTensor implements Tensor {
  readonly kind = 'dense' as const;
  readonly size: number;
  private numeric: TypedArray | undefined;

  constructor(
    readonly dtype: DataType,
    readonly dims: readonly number[],
    private readonly data: Uint8Array,
    readonly meta: TensorMeta = defaultTensorMeta(),
  ) {
    if (dtype === DataType.STRING) throw new TypeError('string tensors are StringTensor, not DenseTensor');
    this.size = elementCount(dims);
    const expected = expectedByteLength(dtype, dims);
    if (data.byteLength !== expected) {
      throw new RangeError(
        `tensor${meta.name ? ` '${meta.name}'` : ''} ${dtypeName(dtype)}[${dims.join(',')}] needs ${expected} bytes, has ${data.byteLength}`,
      );
    }
  }

  get byteLength(): number {
    return this.data.byteLength;
  }

  bytes(): Uint8Array {
    return this.data;
  }

  /** Elements as the dtype's typed array (bit patterns for float16/bfloat16/float8). Do not mutate. */
  typed(): TypedArray {
    if (!this.numeric) this.numeric = viewAs(this.dtype, this.data, this.size);
    return this.numeric;
  }

  static fromTyped(dtype: DataType, dims: readonly number[], values: TypedArray, meta?: TensorMeta): DenseTensor {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const tensor = new DenseTensor(dtype, dims, bytes, meta ?? defaultTensorMeta());
    tensor.numeric = values;
    return tensor;
  }

  withMeta(meta: TensorMeta): DenseTensor {
    const copy = new DenseTensor(this.dtype, this.dims, this.data, meta);
    copy.numeric = this.numeric;
    return copy;
  }
}

/** A typed-array view of little-endian bytes, copying only when the offset is misaligned. */
export function viewAs(dtype: DataType, bytes: Uint8Array, count: number): TypedArray {
  const ctor = dtypeInfo(dtype).array;
  if (!ctor) throw new TypeError(`${dtypeName(dtype)} has no typed-array form (packed sub-byte type)`);
  const width = ctor.BYTES_PER_ELEMENT;
  const elementsPerSlot = dtype === DataType.COMPLEX64 || dtype === DataType.COMPLEX128 ? 2 : 1;
  const length = count * elementsPerSlot;
  if (bytes.byteOffset % width === 0) return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, length);
  const aligned = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(aligned).set(bytes);
  return new ctor(aligned, 0, length);
}
