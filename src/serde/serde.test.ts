import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../ir/builder.js';
import { DataType } from '../ir/dtype.js';
import { attr } from '../ir/attribute.js';
import { float32Tensor } from '../ir/tensor/values.js';
import { decodeModel } from './decode.js';
import { encodeModel } from './encode.js';
import { checkModel } from '../ir/checker.js';
import { randomFloats, runOnce, sameBits } from '../../test/helpers/ort.js';

function convModel() {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, ['batch', 3, 8, 8]);
  const w = b.initializer('w', float32Tensor([4, 3, 3, 3], randomFloats(108, 1)));
  const bias = b.initializer('b', float32Tensor([4], randomFloats(4, 2)));
  const y = b.op('Conv', [x, w, bias], { attributes: { pads: attr.ints([1, 1, 1, 1]) } });
  const r = b.op('Relu', [y]);
  b.output(r, DataType.FLOAT, ['batch', 4, 8, 8]);
  return b.model;
}

describe('serde round trip', () => {
  it('encodes a built model that onnxruntime runs, and decodes it back to the same bytes', async () => {
    const model = convModel();
    expect(checkModel(model)).toEqual([]);
    const bytes = encodeModel(model);
    const again = encodeModel(decodeModel(bytes));
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(again))).toBe(0);
    const feeds = { x: { dtype: DataType.FLOAT, dims: [2, 3, 8, 8], data: randomFloats(384, 3) } };
    const a = await runOnce(bytes, feeds);
    const b = await runOnce(again, feeds);
    expect(sameBits(a[model.graph.outputs[0]!.name]!, b[model.graph.outputs[0]!.name]!)).toBe(true);
  });
});
