import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { toNumbers } from '../../../ir/tensor/values.js';
import { expectEquivalent, floatFeed } from '../../../../test/helpers/opset-equivalence.js';

describe('TopK to opset 10', () => {
  it('moves k to a one-element int64 input', async () => {
    const models = await expectEquivalent({
      from: 9,
      feeds: { x: floatFeed([3, 7], 1) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [3, 7]);
        const [values, indices] = b.node('TopK', [x], { outputs: ['values', 'indices'], attributes: { k: attr.int(3), axis: attr.int(1) } });
        b.output(values!, DataType.FLOAT);
        b.output(indices!, DataType.INT64);
      },
    });
    for (const model of models.values()) {
      const topk = [...model.graph.nodes][0]!;
      expect(topk.getAttr('k')).toBeUndefined();
      expect(topk.input(1)!.constTensor()!.dims).toEqual([1]);
      expect(toNumbers(topk.input(1)!.constTensor()!)).toEqual([3]);
    }
  });
});
