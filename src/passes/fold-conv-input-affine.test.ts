import { describe, expect, it } from 'vitest';
import { attr } from '../ir/attribute.js';
import { GraphBuilder } from '../ir/builder.js';
import { checkModel } from '../ir/checker.js';
import { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { float32Tensor } from '../ir/tensor/values.js';
import { encodeModel } from '../serde/encode.js';
import { randomFloats, runOnce } from '../../test/helpers/ort.js';
import { foldConvInputAffinePass } from './fold-conv-input-affine.js';

/** x → Mul(a) → Add(b) → Conv, with the affine per channel or one value, and the Conv's padding and groups as given. */
function affineThenConv(opts: { pads: readonly number[]; group: number; perChannel: boolean; kernel: number }): Model {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [1, 8, 6, 6]);
  const constant = (name: string, seed: number) =>
    opts.perChannel ? b.initializer(name, float32Tensor([1, 8, 1, 1], randomFloats(8, seed, 1))) : b.initializer(name, float32Tensor([1], randomFloats(1, seed, 1)));
  const scaled = b.op('Mul', [constant('a', 1), x], { name: 'scale' });
  const shifted = b.op('Add', [scaled, constant('b', 2)], { name: 'shift' });
  const perGroup = 8 / opts.group;
  const w = b.initializer('w', float32Tensor([4, perGroup, opts.kernel, opts.kernel], randomFloats(4 * perGroup * opts.kernel * opts.kernel, 3, 0.5)));
  const bias = b.initializer('bias', float32Tensor([4], randomFloats(4, 4, 0.2)));
  const size = 6 + opts.pads[0]! + opts.pads[2]! - opts.kernel + 1;
  b.output(b.op('Conv', [shifted, w, bias], { name: 'conv', attributes: { pads: attr.ints([...opts.pads]), group: attr.int(opts.group) } }), DataType.FLOAT, [1, 4, size, size]);
  return b.model;
}

const feeds = { x: { dtype: DataType.FLOAT, dims: [1, 8, 6, 6], data: randomFloats(288, 9, 2) } };

async function expectSameOutputs(before: Model, after: Model): Promise<void> {
  const name = before.graph.outputs[0]!.name;
  const want = (await runOnce(encodeModel(before), feeds))[name]!.data as Float32Array;
  const got = (await runOnce(encodeModel(after), feeds))[name]!.data as Float32Array;
  got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
}

const ops = (m: Model) => [...m.graph.nodes].map((n) => n.opType);

describe('fold-conv-input-affine', () => {
  for (const [label, opts] of [
    ['per channel into a grouped 1×1 Conv', { pads: [0, 0, 0, 0], group: 2, perChannel: true, kernel: 1 }],
    ['one value into an unpadded 3×3 Conv', { pads: [0, 0, 0, 0], group: 1, perChannel: false, kernel: 3 }],
    ['per channel into a depthwise-style Conv (group = channels / 2) without padding', { pads: [0, 0, 0, 0], group: 4, perChannel: true, kernel: 3 }],
  ] as const) {
    it(`folds Mul and Add ${label}, with the same outputs in onnxruntime`, async () => {
      const model = affineThenConv(opts);
      expect(foldConvInputAffinePass.run(model).modified).toBe(true);
      expect(checkModel(model)).toEqual([]);
      expect(ops(model)).toEqual(['Conv']);
      // The constants and the old weight and bias go; only the new weight and bias are left.
      expect([...model.graph.initializers.keys()].sort()).toEqual(['conv_input_scaled_weight', 'conv_input_shifted_bias']);
      await expectSameOutputs(affineThenConv(opts), model);
    });
  }

  it('folds only the Mul into a padded Conv: padding adds zeros where the float model saw the Add\'s constant', async () => {
    const opts = { pads: [1, 1, 1, 1], group: 1, perChannel: true, kernel: 3 };
    const model = affineThenConv(opts);
    expect(foldConvInputAffinePass.run(model).modified).toBe(false);
    expect(ops(model)).toEqual(['Mul', 'Add', 'Conv']);
    // Without the Add, the Mul folds (zero times a is zero).
    const b = new GraphBuilder(13);
    const x = b.input('x', DataType.FLOAT, [1, 8, 6, 6]);
    const scaled = b.op('Mul', [x, b.initializer('a', float32Tensor([8, 1, 1], randomFloats(8, 1, 1)))]);
    const w = b.initializer('w', float32Tensor([4, 8, 3, 3], randomFloats(288, 3, 0.5)));
    b.output(b.op('Conv', [scaled, w], { name: 'conv', attributes: { pads: attr.ints([1, 1, 1, 1]) } }), DataType.FLOAT, [1, 4, 6, 6]);
    const folded = b.model;
    const reference = encodeModel(folded);
    expect(foldConvInputAffinePass.run(folded).modified).toBe(true);
    expect(ops(folded)).toEqual(['Conv']);
    const name = folded.graph.outputs[0]!.name;
    const want = (await runOnce(reference, feeds))[name]!.data as Float32Array;
    const got = (await runOnce(encodeModel(folded), feeds))[name]!.data as Float32Array;
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
  });

  it('leaves an affine whose output something else reads too, and one with a per-element constant', () => {
    const shared = affineThenConv({ pads: [0, 0, 0, 0], group: 1, perChannel: true, kernel: 1 });
    const add = [...shared.graph.nodes].find((n) => n.opType === 'Add')!;
    shared.graph.outputs.push(add.output());
    expect(foldConvInputAffinePass.run(shared).modified).toBe(false);

    const b = new GraphBuilder(13);
    const x = b.input('x', DataType.FLOAT, [1, 8, 6, 6]);
    const shifted = b.op('Add', [x, b.initializer('b', float32Tensor([1, 8, 6, 6], randomFloats(288, 1, 1)))]);
    b.output(b.op('Conv', [shifted, b.initializer('w', float32Tensor([4, 8, 1, 1], randomFloats(32, 3, 0.5)))]), DataType.FLOAT, [1, 4, 6, 6]);
    expect(foldConvInputAffinePass.run(b.model).modified).toBe(false);
  });
});
