import { dtypeName } from '../../../ir/dtype.js';
import { FLOAT_TYPES, floatScalar } from '../rewrite.js';
import type { StepAdapter } from '../step.js';

/**
 * Clip at 11: `min` and `max` moved from float attributes to optional scalar inputs of the data's
 * element type. An absent bound stays absent: both forms then clamp at the type's lowest/highest
 * value. The old attribute was float32; it is written in the data's type (float16/double), as the
 * old kernels converted it.
 */
export const clipBoundsToInputs: StepAdapter = {
  check(ctx) {
    const { node } = ctx;
    if (node.attrFloat('min') === undefined && node.attrFloat('max') === undefined) return undefined;
    const dtype = ctx.facts.elemType(node.input(0)!);
    if (dtype === undefined) return `the element type of its input '${node.input(0)!.name}' is not known, so the min/max inputs cannot be typed (run type inference first)`;
    if (!FLOAT_TYPES.has(dtype)) return `Clip before opset 11 does not take ${dtypeName(dtype)} input`;
    return undefined;
  },
  apply(ctx) {
    const { node } = ctx;
    const min = node.attrFloat('min');
    const max = node.attrFloat('max');
    node.removeAttr('min');
    node.removeAttr('max');
    if (min === undefined && max === undefined) return;
    const dtype = ctx.facts.elemType(node.input(0)!)!;
    const base = node.name || 'Clip';
    node.setInputs([
      node.input(0) ?? null,
      min === undefined ? null : floatScalar(ctx, dtype, min, `${base}_min`),
      max === undefined ? null : floatScalar(ctx, dtype, max, `${base}_max`),
    ]);
    node.trimTrailingInputs();
  },
};
