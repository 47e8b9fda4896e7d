import { int64Constant } from '../rewrite.js';
import type { StepAdapter } from '../step.js';

/**
 * DFT at 20: `axis` moved from an attribute (default 1) to an optional int64 scalar input whose
 * default is -2, so the old default is written out.
 */
export const dftAxisToInput: StepAdapter = {
  apply(ctx) {
    const { node } = ctx;
    const axis = node.attrInt('axis', 1);
    node.removeAttr('axis');
    node.setInputs([node.input(0) ?? null, node.input(1) ?? null, int64Constant(ctx, [axis], `${node.name || 'DFT'}_axis`, true)]);
  },
};
