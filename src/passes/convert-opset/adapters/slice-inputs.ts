import { int64Attribute, int64Constant } from '../rewrite.js';
import type { StepAdapter } from '../step.js';

/**
 * Slice at 10: `starts`, `ends` and `axes` moved from attributes to int64 inputs (and `steps`, of
 * which the old form had none, stays omitted). Clamping of out-of-range values is unchanged.
 */
export const sliceAttributesToInputs: StepAdapter = {
  check(ctx) {
    const { node } = ctx;
    if (!int64Attribute(node, 'starts') || !int64Attribute(node, 'ends')) return 'Slice before opset 10 needs the starts and ends attributes';
    return undefined;
  },
  apply(ctx) {
    const { node } = ctx;
    const base = node.name || 'Slice';
    // Ends are often INT64_MAX ("to the end"): the values are kept as exact int64s.
    const starts = int64Attribute(node, 'starts')!;
    const ends = int64Attribute(node, 'ends')!;
    const axes = int64Attribute(node, 'axes');
    const inputs = [node.input(0) ?? null, int64Constant(ctx, starts, `${base}_starts`), int64Constant(ctx, ends, `${base}_ends`)];
    if (axes) inputs.push(int64Constant(ctx, axes, `${base}_axes`));
    for (const name of ['starts', 'ends', 'axes']) node.removeAttr(name);
    node.setInputs(inputs);
  },
};
