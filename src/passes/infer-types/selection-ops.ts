import { DataType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/types.js';
import type { InferContext, TypeRule } from './context.js';
import { tensorOf, tryShape } from './common.js';
import { normalizeAxis, productOfDims } from './dims.js';

// Operators that pick elements by value (TopK, Unique, NonZero, Compress) or encode indices
// (OneHot): their output sizes depend on data, so a dim is known only where a count is.

function oneHotShape(ctx: InferContext): Dim[] | undefined {
  const indices = ctx.shape(0);
  const depth = ctx.knownNumbers(1);
  if (!indices) return undefined;
  const axis = normalizeAxis(ctx.int('axis', -1), indices.length + 1);
  const out: Dim[] = [...indices];
  out.splice(axis, 0, depth ? Math.trunc(depth[0]!) : null);
  return out;
}

const topK: TypeRule = (ctx) => {
  const shape = tryShape(() => {
    const s = ctx.shape(0);
    if (!s) return undefined;
    const k = ctx.opset < 10 ? ctx.int('k') : ctx.knownNumbers(1)?.[0];
    const out = [...s];
    out[normalizeAxis(ctx.int('axis', -1), s.length)] = k ?? null;
    return out;
  });
  return [tensorOf(ctx.dtype(0), shape), tensorOf(DataType.INT64, shape)];
};

const unique: TypeRule = (ctx) => {
  const s = ctx.shape(0);
  const axis = ctx.int('axis');
  const y = tryShape(() => (axis === undefined ? [null] : s?.map((d, i) => (i === normalizeAxis(axis, s.length) ? null : d))));
  const inverse = tryShape(() => (axis === undefined ? s && [productOfDims(s)] : s && [s[normalizeAxis(axis, s.length)]!]));
  return [tensorOf(ctx.dtype(0), y), tensorOf(DataType.INT64, [null]), tensorOf(DataType.INT64, inverse), tensorOf(DataType.INT64, [null])];
};

const compress: TypeRule = (ctx) => {
  const s = ctx.shape(0);
  const axis = ctx.int('axis');
  const kept = ctx.knownNumbers(1)?.filter((c) => c !== 0).length ?? null;
  const shape = tryShape(() => (axis === undefined ? [kept] : s?.map((d, i) => (i === normalizeAxis(axis, s.length) ? kept : d))));
  return [tensorOf(ctx.dtype(0), shape)];
};

export const selectionRules: Record<string, TypeRule> = {
  OneHot: (ctx) => [tensorOf(ctx.dtype(2), tryShape(() => oneHotShape(ctx)))],
  NonZero: (ctx) => [tensorOf(DataType.INT64, [ctx.rank(0) ?? null, null])],
  TopK: topK,
  Unique: unique,
  Compress: compress,
};
