import type { Dim } from '../../ir/types.js';
import { cannotInfer, type InferContext, type TypeRule } from './context.js';
import { intsAttrOrInput, tensorOf, tryShape } from './common.js';
import { broadcastShapes, divideProducts, mulDims, normalizeAxes, normalizeAxis, productOfDims, symbolicProduct } from './dims.js';

// Operators that rearrange a tensor without reading its elements: the shape is all there is.

/** Target dims from Reshape's shape input (or attribute before opset 5); rank only if contents unknown. */
function reshapeShape(ctx: InferContext): Dim[] | undefined {
  const targets = ctx.opset < 5 ? ctx.ints('shape') : ctx.knownDims(1);
  if (!targets) {
    const length = ctx.shape(1)?.[0];
    return typeof length === 'number' ? new Array<Dim>(length).fill(null) : undefined;
  }
  const input = ctx.shape(0);
  const allowZero = ctx.int('allowzero', 0) === 1;
  let inferAt = -1;
  const copied = new Set<number>();
  const out = targets.map((t, i): Dim => {
    if (t === 0 && !allowZero) {
      if (input && i >= input.length) cannotInfer(`Reshape copies dim ${i}, which the input lacks`);
      copied.add(i);
      return input ? input[i]! : null;
    }
    if (t === -1) {
      if (inferAt >= 0) cannotInfer('Reshape shape has two -1 entries');
      inferAt = i;
      return null;
    }
    if (typeof t === 'number' && t < -1) cannotInfer(`Reshape shape has invalid entry ${t}`);
    return t;
  });
  if (inferAt >= 0 && input) {
    // Copied dims are the same on both sides, so they cancel even when their size is unknown.
    const rest = input.filter((_, i) => !copied.has(i));
    const others = out.filter((_, i) => i !== inferAt && !copied.has(i));
    out[inferAt] = divideProducts(symbolicProduct(rest), symbolicProduct(others));
  }
  return out;
}

function flattenShape(ctx: InferContext): Dim[] | undefined {
  const s = ctx.shape(0);
  if (!s) return undefined;
  const axis = ctx.int('axis', 1);
  const at = axis === s.length ? axis : normalizeAxis(axis, s.length);
  return [productOfDims(s.slice(0, at)), productOfDims(s.slice(at))];
}

function squeezeShape(ctx: InferContext): Dim[] | undefined {
  const s = ctx.shape(0);
  const axes = intsAttrOrInput(ctx, 'axes', 1, 13);
  if (!s || axes === 'unknown') return undefined;
  if (!axes) {
    // Without axes every dim of size 1 goes: only certain when every dim is known.
    if (s.some((d) => typeof d !== 'number')) return undefined;
    return s.filter((d) => d !== 1);
  }
  const drop = new Set(normalizeAxes(axes, s.length));
  for (const a of drop) if (typeof s[a] === 'number' && s[a] !== 1) cannotInfer(`Squeeze axis ${a} has size ${s[a]}, not 1`);
  return s.filter((_, i) => !drop.has(i));
}

function unsqueezeShape(ctx: InferContext): Dim[] | undefined {
  const s = ctx.shape(0);
  const axes = intsAttrOrInput(ctx, 'axes', 1, 13);
  if (!s || axes === 'unknown' || !axes) return undefined;
  const rank = s.length + axes.length;
  const inserted = new Set(normalizeAxes(axes, rank));
  const rest = [...s];
  return Array.from({ length: rank }, (_, i) => (inserted.has(i) ? 1 : rest.shift()!));
}

function transposeShape(ctx: InferContext): Dim[] | undefined {
  const s = ctx.shape(0);
  if (!s) return undefined;
  const perm = ctx.ints('perm') ?? s.map((_, i) => s.length - 1 - i);
  if (perm.length !== s.length) cannotInfer(`Transpose perm has ${perm.length} entries for rank ${s.length}`);
  return normalizeAxes(perm, s.length, 'perm').map((p) => s[p]!);
}

function expandShape(ctx: InferContext): Dim[] | undefined {
  const s = ctx.shape(0);
  const target = ctx.knownDims(1);
  if (s && target) return broadcastShapes([s, target]);
  const length = ctx.shape(1)?.[0];
  if (!s || typeof length !== 'number') return undefined;
  // Contents unknown: the rank is still known, and so are the dims the target cannot change.
  const rank = Math.max(length, s.length);
  return Array.from({ length: rank }, (_, i) => {
    const d = s[i - (rank - s.length)];
    return typeof d === 'number' && d > 1 ? d : null;
  });
}

function tileShape(ctx: InferContext): Dim[] | undefined {
  const s = ctx.shape(0);
  const repeats = ctx.knownDims(1);
  if (!s) return undefined;
  if (!repeats) return s.map(() => null);
  if (repeats.length !== s.length) cannotInfer(`Tile repeats has ${repeats.length} entries for rank ${s.length}`);
  return s.map((d, i) => mulDims(d, repeats[i]!));
}

function shaped(compute: (ctx: InferContext) => Dim[] | undefined): TypeRule {
  return (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => compute(ctx)))];
}

export const reshapeRules: Record<string, TypeRule> = {
  Reshape: shaped(reshapeShape),
  Flatten: shaped(flattenShape),
  Squeeze: shaped(squeezeShape),
  Unsqueeze: shaped(unsqueezeShape),
  Transpose: shaped(transposeShape),
  Expand: shaped(expandShape),
  Tile: shaped(tileShape),
};
