import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { typedData } from '../../../ir/tensor/values.js';
import { expectEquivalent, expectRefused, floatFeed } from '../../../../test/helpers/opset-equivalence.js';

describe('Slice to opset 10', () => {
  it('moves starts, ends and axes to int64 inputs, keeping INT64_MAX ends exact', async () => {
    const models = await expectEquivalent({
      from: 9,
      feeds: { x: floatFeed([4, 5, 6], 1) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [4, 5, 6]);
        const toEnd = b.op('Slice', [x], { attributes: { starts: attr.ints([1, -4]), ends: attr.ints([0x7fffffffffffffffn, -1]), axes: attr.ints([0, 2]) } });
        b.output(toEnd, DataType.FLOAT);
        b.output(b.op('Slice', [x], { outputs: ['all_axes'], attributes: { starts: attr.ints([0, 1, 2]), ends: attr.ints([2, 100, 5]) } }), DataType.FLOAT);
      },
    });
    for (const model of models.values()) {
      const [first, second] = [...model.graph.nodes];
      expect(first!.inputs.length).toBe(4);
      expect(second!.inputs.length).toBe(3);
      expect(Array.from(typedData(first!.input(2)!.constTensor()!) as BigInt64Array)).toEqual([0x7fffffffffffffffn, -1n]);
    }
  });

  it('refuses a Slice without its required attributes', () => {
    expectRefused(9, (b) => b.output(b.op('Slice', [b.input('x', DataType.FLOAT, [3])], { attributes: { starts: attr.ints([0]) } })), 13, /Slice changed at opset 10: .*starts and ends/);
  });
});
