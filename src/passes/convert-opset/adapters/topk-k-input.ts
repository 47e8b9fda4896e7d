import { int64Attribute, int64Constant } from '../rewrite.js';
import type { StepAdapter } from '../step.js';

/** TopK at 10: `k` moved from an attribute to a 1-element int64 input. */
export const topkKToInput: StepAdapter = {
  check(ctx) {
    return ctx.node.attrInt('k') === undefined ? 'TopK before opset 10 needs the k attribute' : undefined;
  },
  apply(ctx) {
    const { node } = ctx;
    const k = int64Attribute(node, 'k')!;
    node.removeAttr('k');
    node.setInputs([node.input(0) ?? null, int64Constant(ctx, k, `${node.name || 'TopK'}_k`)]);
  },
};
