import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { toNumbers } from '../../../ir/tensor/values.js';
import { expectEquivalent, floatFeed } from '../../../../test/helpers/opset-equivalence.js';

describe('Split', () => {
  it('moves split sizes to an input at 13 and names num_outputs at 18 when there are none', async () => {
    const models = await expectEquivalent({
      from: 11,
      targets: [13, 18, 21],
      feeds: { x: floatFeed([2, 6, 3], 1) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [2, 6, 3]);
        const sized = b.node('Split', [x], { outputs: ['a', 'b'], attributes: { axis: attr.int(1), split: attr.ints([2, 4]) } });
        const equal = b.node('Split', [x], { outputs: ['c', 'd', 'e'], attributes: { axis: attr.int(-2) } });
        for (const v of [...sized, ...equal]) b.output(v, DataType.FLOAT);
      },
    });
    for (const [target, model] of models) {
      const [sized, equal] = [...model.graph.nodes];
      expect(toNumbers(sized!.input(1)!.constTensor()!)).toEqual([2, 4]);
      expect(sized!.getAttr('num_outputs')).toBeUndefined();
      expect(equal!.inputs.length).toBe(1);
      expect(equal!.attrInt('num_outputs')).toBe(target >= 18 ? 3 : undefined);
    }
  });
});
