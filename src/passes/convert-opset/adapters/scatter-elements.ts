import type { StepAdapter } from '../step.js';

/**
 * Scatter is deprecated at 11 in favour of ScatterElements, which has the same inputs, the same
 * `axis` attribute and the same meaning (and also accepts negative indices).
 */
export const scatterToScatterElements: StepAdapter = {
  apply(ctx) {
    ctx.node.opType = 'ScatterElements';
  },
};
