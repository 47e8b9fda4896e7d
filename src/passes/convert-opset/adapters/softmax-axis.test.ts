import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { tensorType } from '../../../ir/types.js';
import { expectEquivalent, floatFeed, floatTensor, opTypes } from '../../../../test/helpers/opset-equivalence.js';

describe('Softmax, LogSoftmax and Hardmax to opset 13', () => {
  it('sets the axis when it is the last dim of a known rank', async () => {
    const models = await expectEquivalent({
      from: 11,
      feeds: { x: floatFeed([4, 6], 1) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [4, 6]);
        b.output(b.op('Softmax', [x], { outputs: ['y'] }), DataType.FLOAT);
      },
    });
    for (const model of models.values()) {
      expect(opTypes(model)).toEqual(['Softmax']);
      expect([...model.graph.nodes][0]!.attrInt('axis')).toBe(1);
    }
  });

  it('sets a negative last axis and keeps a softmax whose trailing dims are all 1', async () => {
    const models = await expectEquivalent({
      from: 9,
      feeds: { x: floatFeed([2, 3, 4], 2), z: floatFeed([2, 5, 1, 1], 3) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [2, 3, 4]);
        const z = b.input('z', DataType.FLOAT, ['n', 5, 1, 1]);
        b.output(b.op('LogSoftmax', [x], { outputs: ['y'], attributes: { axis: attr.int(-1) } }), DataType.FLOAT);
        b.output(b.op('Softmax', [z], { outputs: ['w'], attributes: { axis: attr.int(1) } }), DataType.FLOAT);
      },
    });
    for (const model of models.values()) expect(opTypes(model)).toEqual(['LogSoftmax', 'Softmax']);
  });

  it('rebuilds the 2-D coercion with Flatten and Reshape when the axis is not last', async () => {
    for (const op of ['Softmax', 'LogSoftmax', 'Hardmax']) {
      const models = await expectEquivalent({
        from: 12,
        feeds: { x: floatFeed([2, 3, 4, 5], 4) },
        tolerance: 1e-6,
        build(b) {
          const x = b.input('x', DataType.FLOAT, [2, 3, 4, 5]);
          b.output(b.op(op, [x], { outputs: ['y'], attributes: { axis: attr.int(1) } }), DataType.FLOAT);
        },
      });
      for (const model of models.values()) expect(opTypes(model)).toEqual(['Shape', 'Flatten', op, 'Reshape']);
    }
  });

  it('rebuilds the coercion when the rank is unknown, with the default axis 1', async () => {
    const models = await expectEquivalent({
      from: 7,
      feeds: { x: floatFeed([3, 2, 5], 5) },
      tolerance: 1e-6,
      build(b) {
        const x = b.input('x', DataType.FLOAT, []);
        x.type = tensorType(DataType.FLOAT);
        const r = b.op('Relu', [x]);
        b.output(b.op('Softmax', [r], { outputs: ['y'] }), DataType.FLOAT);
      },
    });
    for (const model of models.values()) expect(opTypes(model)).toEqual(['Relu', 'Shape', 'Flatten', 'Softmax', 'Reshape']);
  });

  it('finds the rank through ops whose output keeps the input rank', async () => {
    const models = await expectEquivalent({
      from: 11,
      feeds: { x: floatFeed([2, 3, 4], 6) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [2, 3, 4]);
        const w = b.initializer('w', floatTensor([4, 4], 7));
        const m = b.op('MatMul', [b.op('Relu', [x]), w]);
        b.output(b.op('Softmax', [m], { outputs: ['y'], attributes: { axis: attr.int(2) } }), DataType.FLOAT);
      },
    });
    for (const model of models.values()) expect(opTypes(model)).toEqual(['Relu', 'MatMul', 'Softmax']);
  });
});
