import { DataType } from '../../../ir/dtype.js';
import { DenseTensor } from '../../../ir/tensor/dense.js';
import { constant } from '../rewrite.js';
import type { StepAdapter } from '../step.js';
import { writeAsymmetricResize } from './resize-form.js';

/** Upsample at 9: the `scales` attribute became a float input. */
export const upsampleScalesToInput: StepAdapter = {
  check(ctx) {
    return ctx.node.attrFloats('scales') ? undefined : 'Upsample before opset 9 needs the scales attribute';
  },
  apply(ctx) {
    const { node } = ctx;
    const scales = node.attrFloats('scales')!;
    node.removeAttr('scales');
    const tensor = DenseTensor.fromTyped(DataType.FLOAT, [scales.length], Float32Array.from(scales));
    node.setInputs([node.input(0) ?? null, constant(ctx, tensor, `${node.name || 'Upsample'}_scales`)]);
  },
};

/**
 * Upsample is deprecated at 10 in favour of Resize, which computes the same thing: Resize-10 is
 * Upsample-9 under a new name, and from 11 on the old arithmetic is spelled out (asymmetric
 * coordinates; nearest rounding is floor, since Upsample's scales are never below 1). The node is
 * written in the target's form at once, so no Resize step runs after this one.
 */
export const upsampleToResize: StepAdapter = {
  check(ctx) {
    const mode = ctx.node.attrString('mode', 'nearest');
    return mode === 'nearest' || mode === 'linear' ? undefined : `Upsample has no mode '${mode}'`;
  },
  apply(ctx) {
    const { node } = ctx;
    node.opType = 'Resize';
    if (ctx.target >= 11) writeAsymmetricResize(ctx, node.input(1)!, 'floor');
  },
};
