import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { DenseTensor } from '../../../ir/tensor/dense.js';
import { expectEquivalent, floatFeed } from '../../../../test/helpers/opset-equivalence.js';

describe('attributes whose meaning changed', () => {
  it('keeps RoiAlign-10 coordinates (output_half_pixel) past opset 16', async () => {
    const models = await expectEquivalent({
      from: 10,
      targets: [13, 16, 21],
      feeds: { x: floatFeed([1, 2, 8, 8], 1) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [1, 2, 8, 8]);
        const rois = b.initializer('rois', DenseTensor.fromTyped(DataType.FLOAT, [2, 4], Float32Array.of(0.5, 1.2, 5.5, 6.1, 2, 0.3, 7.4, 4.9)));
        const batch = b.initializer('batch', DenseTensor.fromTyped(DataType.INT64, [2], BigInt64Array.of(0n, 0n)));
        const attributes = { output_height: attr.int(3), output_width: attr.int(2), sampling_ratio: attr.int(2), spatial_scale: attr.float(1) };
        b.output(b.op('RoiAlign', [x, rois, batch], { outputs: ['y'], attributes }), DataType.FLOAT);
      },
    });
    expect([...models.get(13)!.graph.nodes][0]!.getAttr('coordinate_transformation_mode')).toBeUndefined();
    expect([...models.get(16)!.graph.nodes][0]!.attrString('coordinate_transformation_mode')).toBe('output_half_pixel');
  });

  for (const [mode, renamed] of [['bilinear', 'linear'], ['bicubic', 'cubic'], ['nearest', 'nearest']] as const) {
    it(`renames GridSample mode ${mode} at opset 20`, async () => {
      const models = await expectEquivalent({
        from: 16,
        targets: [19, 20, 21],
        feeds: { x: floatFeed([1, 2, 5, 6], 2), grid: floatFeed([1, 3, 4, 2], 3, 1.1) },
        build(b) {
          const x = b.input('x', DataType.FLOAT, [1, 2, 5, 6]);
          const grid = b.input('grid', DataType.FLOAT, [1, 3, 4, 2]);
          b.output(b.op('GridSample', [x, grid], { outputs: ['y'], attributes: { mode: attr.string(mode) } }), DataType.FLOAT);
        },
      });
      expect([...models.get(19)!.graph.nodes][0]!.attrString('mode')).toBe(mode);
      expect([...models.get(21)!.graph.nodes][0]!.attrString('mode')).toBe(renamed);
    });
  }
});
