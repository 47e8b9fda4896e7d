import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../ir/builder.js';
import { DataType } from '../ir/dtype.js';
import { float32Tensor } from '../ir/tensor/values.js';
import type { Model } from '../ir/model.js';
import { checkModel } from '../ir/checker.js';
import { encodeModel } from '../serde/encode.js';
import { runOnce } from '../../test/helpers/ort.js';
import { countHardswish, foldHardswishPass } from './fold-hardswish.js';

/** x · Clip(x + 3, 0, 6) / 6 as paddle2onnx writes it, and a second one ending in · (1/6). */
function decomposed(opset: number): Model {
  const b = new GraphBuilder(opset);
  const x = b.input('x', DataType.FLOAT, [1, 8]);
  const k = (name: string, v: number) => b.initializer(name, float32Tensor([], [v]));
  const plus3 = b.op('Add', [x, k('three', 3)]);
  const clip = b.op('Clip', [plus3, k('zero', 0), k('six', 6)]);
  const first = b.op('Div', [b.op('Mul', [x, clip]), k('six_d', 6)]);
  const clip2 = b.op('Clip', [b.op('Add', [k('three2', 3), first]), k('zero2', 0), k('six2', 6)]);
  b.output(b.op('Mul', [k('sixth', 1 / 6), b.op('Mul', [clip2, first])]), DataType.FLOAT, [1, 8]);
  return b.model;
}

describe('fold-hardswish', () => {
  it('turns x · Clip(x + 3, 0, 6) / 6 into HardSwish, keeping the output name and the values', async () => {
    const model = decomposed(14);
    const name = model.graph.outputs[0]!.name;
    expect(countHardswish(model)).toBe(2);
    expect(foldHardswishPass.run(model).modified).toBe(true);
    expect(checkModel(model)).toEqual([]);
    expect([...model.graph.nodes].map((n) => n.opType)).toEqual(['HardSwish', 'HardSwish']);
    // Its constants (3, 0, 6, 1/6) go with the pattern: nothing reads them any more.
    expect([...model.graph.initializers.keys()]).toEqual([]);
    expect(model.graph.outputs[0]!.name).toBe(name);
    const feeds = { x: { dtype: DataType.FLOAT, dims: [1, 8], data: Float32Array.from([-5, -3, -1.5, -0.2, 0.4, 2, 3, 7]) } };
    const want = (await runOnce(encodeModel(decomposed(14)), feeds))[name]!.data as Float32Array;
    const got = (await runOnce(encodeModel(model), feeds))[name]!.data as Float32Array;
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
  });

  it('leaves a model before opset 14 alone, and a pattern whose middle value has another reader', () => {
    expect(foldHardswishPass.run(decomposed(13)).modified).toBe(false);
    const model = decomposed(14);
    const clip = [...model.graph.nodes].find((n) => n.opType === 'Clip')!;
    model.graph.outputs.push(clip.output());
    expect(countHardswish(model)).toBe(1);
  });
});
