import type { Dim } from '../../ir/types.js';
import { cannotInfer, type InferContext, type TypeRule } from './context.js';
import { tensorOf, tryShape } from './common.js';
import { normalizeAxes } from './dims.js';

// Resize and its predecessor Upsample. Output sizes are either given (`sizes`) or
// floor(input × scale), computed in float32 as ONNX Runtime does (int64 × float → float).

function scaled(dim: Dim, scale: number): Dim {
  if (scale === 1) return dim;
  return typeof dim === 'number' ? Math.floor(Math.fround(Math.fround(dim) * scale)) : null;
}

/** Known contents of optional input i, treating an empty tensor as absent (opset 11–12 style). */
function givenInput(ctx: InferContext, i: number): Dim[] | undefined | 'unknown' {
  if (!ctx.has(i)) return undefined;
  const known = ctx.knownDims(i);
  if (known) return known.length === 0 ? undefined : known;
  return ctx.shape(i)?.[0] === 0 ? undefined : 'unknown';
}

function resizeShape(ctx: InferContext): Dim[] | undefined {
  const input = ctx.shape(0);
  if (!input) return undefined;
  const rank = input.length;
  const [scalesAt, sizesAt] = ctx.opset < 11 ? [1, -1] : [2, 3];
  const scales = givenInput(ctx, scalesAt);
  const sizes = sizesAt >= 0 ? givenInput(ctx, sizesAt) : undefined;
  if (scales === 'unknown' || sizes === 'unknown') return input.map(() => null);
  const axes = normalizeAxes(ctx.ints('axes') ?? input.map((_, i) => i), rank);
  const out = [...input];
  if (sizes) {
    if (sizes.length !== axes.length) cannotInfer(`Resize sizes has ${sizes.length} entries for ${axes.length} axes`);
    const policy = ctx.string('keep_aspect_ratio_policy', 'stretch');
    if (policy === 'stretch') axes.forEach((a, k) => (out[a] = sizes[k]!));
    else return keepAspectRatio(input, axes, sizes, policy);
    return out;
  }
  if (!scales) cannotInfer('Resize has neither scales nor sizes');
  if (scales.length !== axes.length) cannotInfer(`Resize scales has ${scales.length} entries for ${axes.length} axes`);
  if (ctx.string('coordinate_transformation_mode', 'half_pixel') === 'tf_crop_and_resize') return input.map(() => null);
  axes.forEach((a, k) => {
    const s = scales[k];
    out[a] = typeof s === 'number' ? scaled(input[a]!, s) : null;
  });
  return out;
}

/** keep_aspect_ratio_policy (opset 18): one scale for all axes, the smallest or largest. */
function keepAspectRatio(input: Dim[], axes: number[], sizes: Dim[], policy: string): Dim[] {
  const ratios = axes.map((a, k) => {
    const d = input[a];
    const s = sizes[k];
    return typeof d === 'number' && typeof s === 'number' ? s / d : undefined;
  });
  if (ratios.some((r) => r === undefined)) return input.map((d, i) => (axes.includes(i) ? null : d));
  const scale = policy === 'not_larger' ? Math.min(...(ratios as number[])) : Math.max(...(ratios as number[]));
  const out = [...input];
  for (const a of axes) out[a] = Math.round(Math.fround(scale) * (input[a] as number));
  return out;
}

function upsampleShape(ctx: InferContext): Dim[] | undefined {
  const input = ctx.shape(0);
  const scales = ctx.opset < 9 ? ctx.floats('scales') : ctx.knownNumbers(1);
  if (!input) return undefined;
  if (!scales) return input.map(() => null);
  if (scales.length !== input.length) cannotInfer(`Upsample scales has ${scales.length} entries for rank ${input.length}`);
  return input.map((d, i) => scaled(d, scales[i]!));
}

export const resizeRules: Record<string, TypeRule> = {
  Resize: (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => resizeShape(ctx)))],
  Upsample: (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => upsampleShape(ctx)))],
};
