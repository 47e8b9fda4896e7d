import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { GraphBuilder } from '../../../ir/builder.js';
import { decodeModel } from '../../../serde/decode.js';
import { encodeModel } from '../../../serde/encode.js';
import { convertOpset } from '../convert-opset.js';
import { expectEquivalent, expectSameOutputs, floatFeed, int64Feed, opTypes, run } from '../../../../test/helpers/opset-equivalence.js';

describe('Scatter to ScatterElements', () => {
  it('renames the op at 11 with inputs and axis unchanged', async () => {
    const models = await expectEquivalent({
      from: 9,
      targets: [11, 13, 21],
      feeds: { data: floatFeed([3, 4], 1), indices: int64Feed([2, 4], [2, 0, 1, 2, 0, 1, 2, 1]), updates: floatFeed([2, 4], 2) },
      build(b) {
        const data = b.input('data', DataType.FLOAT, [3, 4]);
        const indices = b.input('indices', DataType.INT64, [2, 4]);
        const updates = b.input('updates', DataType.FLOAT, [2, 4]);
        b.output(b.op('Scatter', [data, indices, updates], { outputs: ['y'], attributes: { axis: attr.int(0) } }), DataType.FLOAT);
      },
    });
    for (const model of models.values()) expect(opTypes(model)).toEqual(['ScatterElements']);
  });
});

describe('Scatter still used at opset 11', () => {
  it('is replaced although the model does not cross 11', async () => {
    const b = new GraphBuilder(10);
    const data = b.input('data', DataType.FLOAT, [3, 3]);
    const indices = b.input('indices', DataType.INT64, [1, 3]);
    b.output(b.op('Scatter', [data, indices, b.input('updates', DataType.FLOAT, [1, 3])], { outputs: ['y'], attributes: { axis: attr.int(1) } }), DataType.FLOAT);
    const feeds = { data: floatFeed([3, 3], 4), indices: int64Feed([1, 3], [2, 0, -1]), updates: floatFeed([1, 3], 5) };
    const expected = await run(encodeModel(b.model), feeds);
    b.model.opsetImports.set('', 11);
    const atEleven = encodeModel(b.model);
    for (const target of [13, 21]) {
      const model = decodeModel(atEleven);
      convertOpset(model, target);
      expect(opTypes(model)).toEqual(['ScatterElements']);
      expectSameOutputs(await run(encodeModel(model), feeds), expected, 'bits', `Scatter at 11 → ${target}`);
    }
  });
});
