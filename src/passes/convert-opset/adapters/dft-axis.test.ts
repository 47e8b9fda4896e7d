import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { toNumbers } from '../../../ir/tensor/values.js';
import { expectEquivalent, floatFeed } from '../../../../test/helpers/opset-equivalence.js';

describe('DFT to opset 20', () => {
  it('moves axis (default 1) to a scalar input', async () => {
    const models = await expectEquivalent({
      from: 17,
      targets: [19, 20, 21],
      feeds: { x: floatFeed([2, 8, 6, 1], 1) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [2, 8, 6, 1]);
        b.output(b.op('DFT', [x], { outputs: ['default_axis'] }), DataType.FLOAT);
        b.output(b.op('DFT', [x], { outputs: ['axis2'], attributes: { axis: attr.int(2), onesided: attr.int(1) } }), DataType.FLOAT);
      },
    });
    for (const target of [20, 21]) {
      const axes = [...models.get(target)!.graph.nodes].map((n) => toNumbers(n.input(2)!.constTensor()!));
      expect(axes).toEqual([[1], [2]]);
    }
  });
});
