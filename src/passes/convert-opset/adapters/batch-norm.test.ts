import { describe, expect, it } from 'vitest';
import { attr, type AttributeValue } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import type { GraphBuilder } from '../../../ir/builder.js';
import { expectEquivalent, expectRefused, floatFeed, floatTensor } from '../../../../test/helpers/opset-equivalence.js';

function batchNorm(b: GraphBuilder, attributes: Record<string, AttributeValue>, outputs = ['y']) {
  const x = b.input('x', DataType.FLOAT, [2, 3, 4, 4]);
  const params = ['scale', 'bias', 'mean'].map((name, i) => b.initializer(name, floatTensor([3], 10 + i)));
  const variance = b.initializer('var', floatTensor([3], 13, 0.5));
  return b.node('BatchNormalization', [x, ...params, b.op('Abs', [variance])], { outputs, attributes });
}

describe('BatchNormalization', () => {
  it('drops spatial = 1 at opset 9', async () => {
    const models = await expectEquivalent({
      from: 7,
      targets: [9, 13, 21],
      feeds: { x: floatFeed([2, 3, 4, 4], 1) },
      build(b) {
        b.output(batchNorm(b, { spatial: attr.int(1), epsilon: attr.float(1e-3) })[0]!, DataType.FLOAT);
      },
    });
    for (const model of models.values()) {
      const bn = [...model.graph.nodes].find((n) => n.opType === 'BatchNormalization')!;
      expect(bn.getAttr('spatial')).toBeUndefined();
      expect(bn.attrFloat('epsilon')).toBeCloseTo(1e-3);
    }
  });

  it('keeps a training-mode node (several outputs) in training mode at opset 14', async () => {
    const models = await expectEquivalent({
      from: 9,
      targets: [13, 14, 21],
      feeds: { x: floatFeed([2, 3, 4, 4], 2) },
      build(b) {
        // BatchNormalization-9 allows 1 or 5 outputs: Y, then four training statistics.
        const [y, mean, variance] = batchNorm(b, { momentum: attr.float(0.8) }, ['y', 'mean_out', 'var_out', 'saved_mean', 'saved_var']);
        for (const v of [y!, mean!, variance!]) b.output(v, DataType.FLOAT);
      },
    });
    const bnOf = (target: number) => [...models.get(target)!.graph.nodes].find((n) => n.opType === 'BatchNormalization')!;
    expect([13, 14, 21].map((t) => bnOf(t).outputs.length)).toEqual([5, 3, 3]);
    expect([13, 14, 21].map((t) => bnOf(t).attrInt('training_mode'))).toEqual([undefined, 1, 1]);
  });

  it('leaves an inference node (Y only) in inference mode', async () => {
    const models = await expectEquivalent({
      from: 9,
      feeds: { x: floatFeed([2, 3, 4, 4], 3) },
      build(b) {
        b.output(batchNorm(b, {})[0]!, DataType.FLOAT);
      },
    });
    for (const model of models.values()) expect([...model.graph.nodes].find((n) => n.opType === 'BatchNormalization')!.getAttr('training_mode')).toBeUndefined();
  });

  it('refuses spatial = 0', () => {
    expectRefused(7, (b) => b.output(batchNorm(b, { spatial: attr.int(0) })[0]!), 13, /BatchNormalization changed at opset 9: spatial = 0/);
  });

  it('refuses saved statistics that are read', () => {
    expectRefused(
      9,
      (b) => {
        const outputs = batchNorm(b, {}, ['y', 'mean_out', 'var_out', 'saved_mean', 'saved_var']);
        b.output(outputs[0]!);
        b.output(outputs[3]!);
      },
      14,
      /BatchNormalization changed at opset 14: its saved-statistics output 'saved_mean' is read/,
    );
  });
});
