import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../ir/builder.js';
import { DataType } from '../ir/dtype.js';
import { encodeModel } from '../serde/encode.js';
import { float32Tensor } from '../ir/tensor/values.js';
import { randomFloats } from '../../test/helpers/ort.js';
import { profileNodeTimesSideBySide } from './ort-profile.js';

/** x → MatMul → Softmax, with node names of our choosing (onnxruntime fuses neither). */
function matmulSoftmax(prefix: string): Uint8Array {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [64, 64]);
  const y = b.op('MatMul', [x, b.initializer('w', float32Tensor([64, 64], randomFloats(64 * 64, 3, 0.2)))], { name: `${prefix}_matmul` });
  b.output(b.op('Softmax', [y], { name: `${prefix}_softmax` }), DataType.FLOAT, [64, 64]);
  return encodeModel(b.model);
}

describe('profileNodeTimesSideBySide', () => {
  it("gives each model's nodes their median time per run, under the names onnxruntime ran them by", async () => {
    const feeds = { x: { dtype: DataType.FLOAT, dims: [64, 64], data: randomFloats(64 * 64, 4, 1) } };
    const [a, b] = await profileNodeTimesSideBySide([matmulSoftmax('a'), matmulSoftmax('b')], feeds, { runs: 5, threads: 1 });
    expect([...a!.keys()].sort()).toEqual(['a_matmul', 'a_softmax']);
    expect([...b!.keys()].sort()).toEqual(['b_matmul', 'b_softmax']);
    for (const ms of [...a!.values(), ...b!.values()]) {
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('fails with a clear error when onnxruntime cannot run the models on the inputs given', async () => {
    const feeds = { x: { dtype: DataType.FLOAT, dims: [3, 5], data: randomFloats(15, 4, 1) } };
    await expect(profileNodeTimesSideBySide([matmulSoftmax('a')], feeds)).rejects.toThrow(/onnxruntime failed to run the model to profile it: .*x/);
  });

  it('fails with a clear error when onnxruntime cannot load one of the models', async () => {
    const feeds = { x: { dtype: DataType.FLOAT, dims: [64, 64], data: randomFloats(64 * 64, 4, 1) } };
    await expect(profileNodeTimesSideBySide([matmulSoftmax('a'), new Uint8Array([1, 2, 3])], feeds)).rejects.toThrow(/onnxruntime cannot load the model to profile it/);
  });
});
