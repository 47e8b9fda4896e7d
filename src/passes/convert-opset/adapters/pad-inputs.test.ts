import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { tensorType } from '../../../ir/types.js';
import { expectEquivalent, expectRefused, floatFeed } from '../../../../test/helpers/opset-equivalence.js';

describe('Pad to opset 11', () => {
  it('moves pads and a non-zero fill value to inputs, for every mode', async () => {
    const models = await expectEquivalent({
      from: 10,
      feeds: { x: floatFeed([1, 2, 3, 4], 1) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [1, 2, 3, 4]);
        const pads = attr.ints([0, 0, 1, 2, 0, 0, 2, 1]);
        b.output(b.op('Pad', [x], { outputs: ['filled'], attributes: { pads, value: attr.float(-1.5) } }), DataType.FLOAT);
        b.output(b.op('Pad', [x], { outputs: ['zeros'], attributes: { pads } }), DataType.FLOAT);
        b.output(b.op('Pad', [x], { outputs: ['reflect'], attributes: { pads, mode: attr.string('reflect'), value: attr.float(3) } }), DataType.FLOAT);
        b.output(b.op('Pad', [x], { outputs: ['edge'], attributes: { pads, mode: attr.string('edge') } }), DataType.FLOAT);
      },
    });
    for (const model of models.values()) {
      expect([...model.graph.nodes].map((n) => n.inputs.length)).toEqual([3, 2, 2, 2]);
    }
  });

  it('finds the element type of the data through the ops before it', async () => {
    await expectEquivalent({
      from: 9,
      feeds: { x: floatFeed([2, 3], 2) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [2, 3]);
        const y = b.op('Relu', [b.op('Add', [x, x])]);
        y.type = undefined;
        b.output(b.op('Pad', [y], { outputs: ['y'], attributes: { pads: attr.ints([1, 1, 1, 1]), value: attr.float(7) } }), DataType.FLOAT);
      },
    });
  });

  it('refuses a non-zero fill value whose element type is unknown', () => {
    expectRefused(
      10,
      (b) => {
        const x = b.input('x', DataType.FLOAT, [2]);
        x.type = tensorType(DataType.UNDEFINED);
        b.output(b.op('Pad', [x], { attributes: { pads: attr.ints([1, 1]), value: attr.float(2) } }));
      },
      13,
      /Pad .*from ai.onnx opset 10 to 13: Pad changed at opset 11: the element type of its input 'x' is not known/,
    );
  });
});
