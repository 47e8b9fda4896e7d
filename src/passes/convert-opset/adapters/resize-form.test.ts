import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { DenseTensor } from '../../../ir/tensor/dense.js';
import { expectEquivalent, expectRefused, floatFeed } from '../../../../test/helpers/opset-equivalence.js';

const scales = (values: number[]) => DenseTensor.fromTyped(DataType.FLOAT, [values.length], Float32Array.from(values));

describe('Resize-10 to Resize-11+', () => {
  const cases: [string, number[], string | undefined][] = [
    ['nearest', [1, 1, 2.5, 1.5], 'floor'],
    ['nearest', [1, 1, 0.6, 0.45], 'ceil'],
    ['linear', [1, 1, 1.6, 2.25], undefined],
    ['linear', [1, 1, 0.7, 0.5], undefined],
  ];
  for (const [mode, values, nearestMode] of cases) {
    it(`keeps ${mode} resizing by [${values}]`, async () => {
      const models = await expectEquivalent({
        from: 10,
        targets: [11, 13, 19, 21],
        feeds: { x: floatFeed([1, 2, 7, 9], 1) },
        build(b) {
          const x = b.input('x', DataType.FLOAT, [1, 2, 7, 9]);
          b.output(b.op('Resize', [x, b.initializer('scales', scales(values))], { outputs: ['y'], attributes: { mode: attr.string(mode) } }), DataType.FLOAT);
        },
      });
      for (const model of models.values()) {
        const resize = [...model.graph.nodes][0]!;
        expect(resize.attrString('coordinate_transformation_mode')).toBe('asymmetric');
        expect(resize.attrString('nearest_mode')).toBe(nearestMode);
      }
    });
  }

  it('refuses nearest scales that enlarge one axis and shrink another', () => {
    expectRefused(
      10,
      (b) => b.output(b.op('Resize', [b.input('x', DataType.FLOAT, [1, 1, 4, 4]), b.initializer('s', scales([1, 1, 2, 0.5]))])),
      13,
      /Resize changed at opset 11: its scales enlarge some axes and shrink others/,
    );
  });

  it('refuses nearest scales that are not constant', () => {
    expectRefused(
      10,
      (b) => b.output(b.op('Resize', [b.input('x', DataType.FLOAT, [1, 1, 4, 4]), b.input('s', DataType.FLOAT, [4])])),
      11,
      /its scales are not constant/,
    );
  });

  it('accepts linear scales that are not constant', async () => {
    await expectEquivalent({
      from: 10,
      feeds: { x: floatFeed([1, 1, 4, 5], 2), s: { dtype: DataType.FLOAT, dims: [4], data: Float32Array.of(1, 1, 0.5, 1.8) } },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [1, 1, 4, 5]);
        b.output(b.op('Resize', [x, b.input('s', DataType.FLOAT, [4])], { outputs: ['y'], attributes: { mode: attr.string('linear') } }), DataType.FLOAT);
      },
    });
  });
});
