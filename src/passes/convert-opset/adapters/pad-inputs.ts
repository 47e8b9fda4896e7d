import { dtypeName } from '../../../ir/dtype.js';
import { FLOAT_TYPES, floatScalar, int64Attribute, int64Constant } from '../rewrite.js';
import type { StepAdapter } from '../step.js';

/**
 * Pad at 11: `pads` moved to an int64 input and the float `value` attribute to an optional scalar
 * input of the data's element type. The value only matters in constant mode and defaults to 0 in
 * both forms, so it is written only when it is a non-zero constant-mode fill.
 */
export const padAttributesToInputs: StepAdapter = {
  check(ctx) {
    const { node } = ctx;
    if (!int64Attribute(node, 'pads')) return 'Pad before opset 11 needs the pads attribute';
    if (!needsFillValue(node.attrString('mode', 'constant'), node.attrFloat('value', 0))) return undefined;
    const dtype = ctx.facts.elemType(node.input(0)!);
    if (dtype === undefined) return `the element type of its input '${node.input(0)!.name}' is not known, so the fill value cannot be typed (run type inference first)`;
    if (!FLOAT_TYPES.has(dtype)) return `Pad before opset 11 does not take ${dtypeName(dtype)} input`;
    return undefined;
  },
  apply(ctx) {
    const { node } = ctx;
    const base = node.name || 'Pad';
    const pads = int64Attribute(node, 'pads')!;
    const value = node.attrFloat('value', 0);
    const inputs = [node.input(0) ?? null, int64Constant(ctx, pads, `${base}_pads`)];
    if (needsFillValue(node.attrString('mode', 'constant'), value)) {
      inputs.push(floatScalar(ctx, ctx.facts.elemType(node.input(0)!)!, value, `${base}_value`));
    }
    node.removeAttr('pads');
    node.removeAttr('value');
    node.setInputs(inputs);
  },
};

function needsFillValue(mode: string, value: number): boolean {
  return mode === 'constant' && !Object.is(value, 0);
}
