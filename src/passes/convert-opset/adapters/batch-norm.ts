import { attr } from '../../../ir/attribute.js';
import { isUnused, keepOutputs } from '../rewrite.js';
import type { StepAdapter } from '../step.js';

/**
 * BatchNormalization at 9: the `spatial` attribute was removed and its default (1, one mean per
 * channel) became the only behaviour. spatial = 0 (one mean per element) has no opset 9 form.
 */
export const batchNormDropSpatial: StepAdapter = {
  check(ctx) {
    return ctx.node.attrInt('spatial', 1) === 1 ? undefined : 'spatial = 0 (statistics per element) has no form from opset 9 on';
  },
  apply(ctx) {
    ctx.node.removeAttr('spatial');
  },
};

/**
 * BatchNormalization at 14. Before 14 a node with more than Y as output (running mean and
 * variance, saved mean and variance) runs in training mode: Y uses the batch's own statistics
 * (onnxruntime decides by the number of outputs). From 14 that is training_mode = 1 with outputs
 * Y, running_mean, running_var; the saved statistics have no counterpart, so unread ones are
 * dropped and read ones refused.
 */
export const batchNormTrainingOutputs: StepAdapter = {
  check(ctx) {
    const read = ctx.node.outputs.slice(3).find((v) => !isUnused(v));
    return read ? `its saved-statistics output '${read.name}' is read, and opset 14 has no such output` : undefined;
  },
  apply(ctx) {
    if (ctx.node.outputs.length <= 1) return;
    const node = ctx.node.outputs.length > 3 ? keepOutputs(ctx, 3) : ctx.node;
    node.setAttr('training_mode', attr.int(1));
    return node;
  },
};
