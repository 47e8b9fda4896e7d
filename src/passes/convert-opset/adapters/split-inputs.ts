import { attr } from '../../../ir/attribute.js';
import { int64Attribute, int64Constant } from '../rewrite.js';
import type { StepAdapter } from '../step.js';

/** Split at 13: the `split` attribute (sizes of the parts) became an optional int64 input. */
export const splitSizesToInput: StepAdapter = {
  apply(ctx) {
    const { node } = ctx;
    const split = int64Attribute(node, 'split');
    node.removeAttr('split');
    if (!split) return;
    node.setInputs([node.input(0) ?? null, int64Constant(ctx, split, `${node.name || 'Split'}_split`)]);
  },
};

/**
 * Split at 18: without the `split` input the number of parts must be given as `num_outputs`.
 * Before 18 the parts were equal and the dim had to divide evenly; 18 also accepts a smaller last
 * part, so every model valid before stays valid and gives the same result.
 */
export const splitNumOutputs: StepAdapter = {
  apply(ctx) {
    const { node } = ctx;
    if (node.input(1)) return;
    node.setAttr('num_outputs', attr.int(node.outputs.length));
  },
};
