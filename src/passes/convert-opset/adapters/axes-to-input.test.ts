import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { toNumbers } from '../../../ir/tensor/values.js';
import { expectEquivalent, floatFeed, opTypes } from '../../../../test/helpers/opset-equivalence.js';

describe('axes attribute to input', () => {
  it('moves Squeeze, Unsqueeze and ReduceSum axes to an int64 input at 13', async () => {
    const models = await expectEquivalent({
      from: 11,
      feeds: { x: floatFeed([2, 1, 3, 1], 1) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [2, 1, 3, 1]);
        const squeezed = b.op('Squeeze', [x], { attributes: { axes: attr.ints([1, -1]) } });
        const all = b.op('Squeeze', [x]);
        const unsqueezed = b.op('Unsqueeze', [squeezed], { attributes: { axes: attr.ints([0, 3]) } });
        b.output(b.op('ReduceSum', [unsqueezed], { outputs: ['sum'], attributes: { axes: attr.ints([1]), keepdims: attr.int(0) } }), DataType.FLOAT);
        b.output(b.op('ReduceSum', [x], { outputs: ['total'] }), DataType.FLOAT);
        b.output(all, DataType.FLOAT);
      },
    });
    for (const model of models.values()) {
      const nodes = [...model.graph.nodes];
      expect(nodes.map((n) => n.inputs.length)).toEqual([2, 1, 2, 2, 1]);
      expect(nodes.every((n) => !n.getAttr('axes'))).toBe(true);
      expect(toNumbers(nodes[0]!.input(1)!.constTensor()!)).toEqual([1, -1]);
    }
  });

  it('moves the axes of the other Reduce ops at 18 and keeps reduce-all without an input', async () => {
    const ops = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];
    const models = await expectEquivalent({
      from: 13,
      targets: [17, 18, 21],
      feeds: { x: floatFeed([2, 3, 4], 2) },
      build(b) {
        // Positive inputs keep ReduceLogSum finite.
        const x = b.op('Abs', [b.input('x', DataType.FLOAT, [2, 3, 4])]);
        for (const op of ops) {
          b.output(b.op(op, [x], { outputs: [`${op}_axes`], attributes: { axes: attr.ints([-1, 0]), keepdims: attr.int(0) } }), DataType.FLOAT);
          b.output(b.op(op, [x], { outputs: [`${op}_all`] }), DataType.FLOAT);
        }
      },
    });
    expect([...models.get(17)!.graph.nodes].every((n) => n.inputs.length === 1)).toBe(true);
    for (const target of [18, 21]) {
      const nodes = [...models.get(target)!.graph.nodes].slice(1);
      expect(nodes.map((n) => n.inputs.length)).toEqual(ops.flatMap(() => [2, 1]));
    }
    expect(opTypes(models.get(21)!)).toHaveLength(1 + 2 * ops.length);
  });
});
