import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { DenseTensor } from '../../../ir/tensor/dense.js';
import { expectEquivalent, floatFeed } from '../../../../test/helpers/opset-equivalence.js';

describe('Clip to opset 11', () => {
  it('moves min and max to scalar inputs of the data type, leaving absent bounds absent', async () => {
    const models = await expectEquivalent({
      from: 9,
      targets: [11, 13, 21],
      feeds: { x: floatFeed([3, 4], 1, 10) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [3, 4]);
        // PaddleOCR's hard-swish pattern: Clip(x + 3, 0, 6) with no declared intermediate types.
        const shifted = b.op('Add', [x, b.initializer('three', floatScalarTensor(3))]);
        b.output(b.op('Clip', [shifted], { outputs: ['both'], attributes: { min: attr.float(0), max: attr.float(6) } }), DataType.FLOAT);
        b.output(b.op('Clip', [x], { outputs: ['max_only'], attributes: { max: attr.float(0.5) } }), DataType.FLOAT);
        b.output(b.op('Clip', [x], { outputs: ['min_only'], attributes: { min: attr.float(-0.25) } }), DataType.FLOAT);
        b.output(b.op('Clip', [x], { outputs: ['none'] }), DataType.FLOAT);
      },
    });
    for (const model of models.values()) {
      const clips = [...model.graph.nodes].filter((n) => n.opType === 'Clip');
      expect(clips.map((n) => n.inputs.map((v) => (v ? 'v' : '-')).join(''))).toEqual(['vvv', 'v-v', 'vv', 'v']);
      expect(clips[0]!.input(1)!.constTensor()!.dims).toEqual([]);
    }
  });
});

function floatScalarTensor(value: number): DenseTensor {
  return DenseTensor.fromTyped(DataType.FLOAT, [], Float32Array.of(value));
}
