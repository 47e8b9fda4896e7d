import { attr } from '../../../ir/attribute.js';
import { isTensorType } from '../../../ir/types.js';
import { insertBefore, redirectOutput } from '../rewrite.js';
import type { StepAdapter, StepContext } from '../step.js';

/**
 * Softmax, LogSoftmax and Hardmax at opset 13. Before 13 the input was coerced to 2-D at `axis`
 * (default 1) and the op ran over the whole second part [axis, rank); from 13 it runs over the
 * single dim `axis` (default -1). The two agree when nothing follows `axis` but dims of size 1,
 * most often because `axis` is the last dim; otherwise the old behaviour is rebuilt as
 * Flatten(axis) → op(axis=-1) → Reshape back to the input's shape.
 */
export const softmaxAxisTo13: StepAdapter = {
  apply(ctx) {
    const { node } = ctx;
    const x = node.input(0)!;
    const axis = node.attrInt('axis', 1);
    const rank = ctx.facts.rank(x);
    if (rank !== undefined && onlyUnitDimsAfter(ctx, axis, rank)) {
      node.setAttr('axis', attr.int(axis < 0 ? axis + rank : axis));
      return;
    }
    // Flatten takes the same (possibly negative) axis the old op did, so the rank is not needed.
    const shape = insertBefore(ctx, 'Shape', [x], {}, 'shape');
    const flat = insertBefore(ctx, 'Flatten', [x], { axis: attr.int(axis) }, 'flat');
    node.replaceInput(0, flat);
    node.setAttr('axis', attr.int(-1));
    redirectOutput(ctx, 0, 'Reshape', (inner) => [inner, shape]);
  },
};

function onlyUnitDimsAfter(ctx: StepContext, axis: number, rank: number): boolean {
  const a = axis < 0 ? axis + rank : axis;
  if (a === rank - 1) return true;
  const type = ctx.node.input(0)!.type;
  return isTensorType(type) && type.shape !== undefined && type.shape.slice(a + 1).every((d) => d === 1);
}
