import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { expectEquivalent, expectRefused, floatFeed } from '../../../../test/helpers/opset-equivalence.js';

describe('Dropout', () => {
  it('drops an unread mask at 10 and moves the ratio to an input at 12', async () => {
    const models = await expectEquivalent({
      from: 9,
      targets: [10, 12, 13, 21],
      feeds: { x: floatFeed([2, 5], 1) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [2, 5]);
        const [y] = b.node('Dropout', [x], { outputs: ['y', 'mask'], attributes: { ratio: attr.float(0.3) } });
        b.output(b.op('Relu', [y!], { outputs: ['out'] }), DataType.FLOAT);
      },
    });
    expect([...models.get(10)!.graph.nodes][0]!.outputs.length).toBe(1);
    expect([...models.get(10)!.graph.nodes][0]!.attrFloat('ratio')).toBeCloseTo(0.3);
    for (const target of [12, 13, 21]) {
      const dropout = [...models.get(target)!.graph.nodes][0]!;
      expect(dropout.getAttr('ratio')).toBeUndefined();
      expect(dropout.input(1)!.constTensor()!.dims).toEqual([]);
    }
  });

  it('keeps an unread bool mask from opset 10 on', async () => {
    const models = await expectEquivalent({
      from: 11,
      feeds: { x: floatFeed([4], 2) },
      build(b) {
        const [y] = b.node('Dropout', [b.input('x', DataType.FLOAT, [4])], { outputs: ['y', 'mask'] });
        b.output(y!, DataType.FLOAT);
      },
    });
    for (const model of models.values()) expect([...model.graph.nodes][0]!.outputs.length).toBe(2);
  });

  it('refuses a bool mask that is read, since onnxruntime fills it with false before 12 and true after', () => {
    expectRefused(
      11,
      (b) => {
        const [y, mask] = b.node('Dropout', [b.input('x', DataType.FLOAT, [4])], { outputs: ['y', 'mask'] });
        b.output(y!);
        b.output(mask!);
      },
      12,
      /Dropout changed at opset 12: its mask output 'mask' is read/,
    );
  });

  it('refuses a mask that is read when it would change from float to bool', () => {
    expectRefused(
      9,
      (b) => {
        const [y, mask] = b.node('Dropout', [b.input('x', DataType.FLOAT, [4])], { outputs: ['y', 'mask'] });
        b.output(y!);
        b.output(mask!);
      },
      13,
      /Dropout changed at opset 10: its mask output 'mask' is read/,
    );
  });
});
