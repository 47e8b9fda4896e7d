import { DataType } from '../../src/ir/dtype.js';
import { defaultTensorMeta, type Tensor } from '../../src/ir/tensor/tensor.js';
import { seededRandom } from '../../src/util/random.js';

/**
 * A float32 weight whose values are computed from a seed each time its bytes are asked for, so a
 * test can write a multi-gigabyte model without holding it in memory.
 */
export class GeneratedTensor implements Tensor {
  readonly kind = 'dense' as const;
  readonly dtype = DataType.FLOAT;
  readonly meta = defaultTensorMeta();
  readonly size: number;

  constructor(
    readonly dims: readonly number[],
    private readonly seed: number,
    private readonly scale: number,
  ) {
    this.size = dims.reduce((a, b) => a * b, 1);
  }

  get byteLength(): number {
    return this.size * 4;
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.values().buffer);
  }

  values(): Float32Array {
    const rand = seededRandom(this.seed);
    const out = new Float32Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = (rand() * 2 - 1) * this.scale;
    return out;
  }
}
