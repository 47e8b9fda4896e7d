import { DataType } from '../dtype.js';
import { Tensor, TensorMeta, defaultTensorMeta, elementCount } from './tensor.js';

/** A tensor of byte strings (ONNX strings are bytes; most are UTF-8 but nothing requires it). */
export class StringTensor implements Tensor {
  readonly kind = 'string' as const;
  readonly dtype = DataType.STRING;
  readonly size: number;
  readonly byteLength = 0;

  constructor(
    readonly dims: readonly number[],
    readonly strings: readonly Uint8Array[],
    readonly meta: TensorMeta = defaultTensorMeta(),
  ) {
    this.size = elementCount(dims);
    if (strings.length !== this.size) {
      throw new RangeError(`string tensor [${dims.join(',')}] needs ${this.size} strings, has ${strings.length}`);
    }
  }

  bytes(): Uint8Array {
    throw new TypeError('string tensors have no raw byte form');
  }
}
