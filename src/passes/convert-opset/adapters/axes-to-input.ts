import { int64Attribute, int64Constant } from '../rewrite.js';
import type { StepAdapter } from '../step.js';

/**
 * Squeeze, Unsqueeze and ReduceSum at 13, the other Reduce* ops at 18: the `axes` attribute became
 * an optional int64 input. Without axes (or with an empty list, which old runtimes read the same
 * way) the input stays omitted: Squeeze then drops every dim of size 1 and Reduce* reduces all
 * dims, as before (noop_with_empty_axes keeps its default 0).
 */
export const axesAttributeToInput: StepAdapter = {
  apply(ctx) {
    const { node } = ctx;
    const axes = int64Attribute(node, 'axes');
    node.removeAttr('axes');
    if (!axes || axes.length === 0) return;
    node.setInputs([node.input(0) ?? null, int64Constant(ctx, axes, `${node.name || node.opType}_axes`)]);
  },
};
