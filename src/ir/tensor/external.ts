import { DataType, dtypeName } from '../dtype.js';
import { Tensor, TensorMeta, elementCount, expectedByteLength } from './tensor.js';

/**
 * Where external tensor data comes from. The Node edge reads files next to the model; a browser
 * caller hands in the bytes it fetched. Reads are synchronous so that passes stay simple; the
 * browser source answers from memory.
 */
export interface ExternalDataSource {
  /** A short label for messages, e.g. the model's folder. */
  readonly label: string;
  /** Size in bytes of the named file, or undefined when it does not exist. */
  size(location: string): number | undefined;
  /** Exactly `length` bytes at `offset` of the named file. */
  read(location: string, offset: number, length: number): Uint8Array;
}

export interface ExternalLocation {
  location: string;
  offset: number;
  length: number;
  checksum?: string;
  /** Other key/value pairs of external_data, kept as they were. */
  extra: [string, string][];
}

/**
 * A tensor stored in an external data file, read each time its bytes are asked for. Nothing is
 * cached: a pass that streams weights one by one keeps only one weight in memory at a time.
 */
export class ExternalTensor implements Tensor {
  readonly kind = 'external' as const;
  readonly size: number;

  constructor(
    readonly dtype: DataType,
    readonly dims: readonly number[],
    readonly where: ExternalLocation,
    private readonly source: ExternalDataSource,
    readonly meta: TensorMeta,
  ) {
    this.size = elementCount(dims);
    const expected = expectedByteLength(dtype, dims);
    if (where.length !== expected) {
      throw new RangeError(
        `external tensor '${meta.name}' ${dtypeName(dtype)}[${dims.join(',')}] needs ${expected} bytes, external_data says ${where.length}`,
      );
    }
  }

  get byteLength(): number {
    return this.where.length;
  }

  bytes(): Uint8Array {
    return this.source.read(this.where.location, this.where.offset, this.where.length);
  }
}
