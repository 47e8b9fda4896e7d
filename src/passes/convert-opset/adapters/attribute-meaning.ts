import { attr } from '../../../ir/attribute.js';
import type { StepAdapter } from '../step.js';

/**
 * RoiAlign at 16 added `coordinate_transformation_mode` with default half_pixel; the earlier
 * behaviour, output_half_pixel, is written out so that it stays.
 */
export const roiAlignKeepCoordinates: StepAdapter = {
  apply(ctx) {
    if (!ctx.node.getAttr('coordinate_transformation_mode')) {
      ctx.node.setAttr('coordinate_transformation_mode', attr.string('output_half_pixel'));
    }
  },
};

/** GridSample at 20 renamed its modes: bilinear → linear, bicubic → cubic (nearest unchanged). */
export const gridSampleRenameModes: StepAdapter = {
  apply(ctx) {
    const renamed: Record<string, string> = { bilinear: 'linear', bicubic: 'cubic' };
    const mode = ctx.node.attrString('mode', 'bilinear');
    ctx.node.setAttr('mode', attr.string(renamed[mode] ?? mode));
  },
};
