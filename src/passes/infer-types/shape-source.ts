import { DataType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/types.js';
import type { TypeRule } from './context.js';
import { tensorOf } from './common.js';
import { shapeSliceBounds } from './known-rules.js';

// Operators that make a tensor from a shape or a count rather than from data.

const shape: TypeRule = (ctx) => {
  const rank = ctx.rank(0);
  if (rank === undefined) return [tensorOf(DataType.INT64, [null])];
  const [start, end] = shapeSliceBounds(ctx, rank);
  return [tensorOf(DataType.INT64, [Math.max(end - start, 0)])];
};

/** ConstantOfShape: the fill value's type (float by default), the shape the input's contents say. */
const constantOfShape: TypeRule = (ctx) => {
  const dtype = ctx.tensorAttr('value')?.dtype ?? DataType.FLOAT;
  const dims = ctx.knownDims(0);
  if (dims) return [tensorOf(dtype, dims)];
  const rank = ctx.shape(0)?.[0];
  return [tensorOf(dtype, typeof rank === 'number' ? new Array<Dim>(rank).fill(null) : undefined)];
};

/** Range's length is max(ceil((limit - start) / delta), 0) when all three are known. */
const range: TypeRule = (ctx) => {
  const [start, limit, delta] = [ctx.knownNumbers(0), ctx.knownNumbers(1), ctx.knownNumbers(2)];
  let length: Dim = start && limit && delta && delta[0] !== 0 ? Math.max(Math.ceil((limit[0]! - start[0]!) / delta[0]!), 0) : null;
  // arange(seq) with seq a symbolic dim: Range(0, seq, 1) has seq elements.
  const symbolic = ctx.knownDims(1)?.[0];
  if (length === null && start?.[0] === 0 && delta?.[0] === 1 && typeof symbolic === 'string') length = symbolic;
  return [tensorOf(ctx.dtype(0), [length])];
};

/** RandomNormal/RandomUniform: dtype attribute (float by default) and a shape attribute. */
const random: TypeRule = (ctx) => [tensorOf(ctx.dtypeAttr('dtype') ?? DataType.FLOAT, ctx.ints('shape'))];

/** The *Like forms and EyeLike: the input's shape, the dtype attribute or else the input's type. */
const like: TypeRule = (ctx) => [tensorOf(ctx.dtypeAttr('dtype') ?? ctx.dtype(0), ctx.shape(0))];

const multinomial: TypeRule = (ctx) => {
  const batch = ctx.shape(0)?.[0] ?? null;
  return [tensorOf(ctx.dtypeAttr('dtype') ?? DataType.INT32, [batch, ctx.int('sample_size', 1)])];
};

/** HannWindow, HammingWindow, BlackmanWindow: a vector of `size` elements, float by default. */
const window: TypeRule = (ctx) => {
  const size = ctx.knownNumbers(0)?.[0];
  return [tensorOf(ctx.dtypeAttr('output_datatype') ?? DataType.FLOAT, [size ?? null])];
};

export const shapeSourceRules: Record<string, TypeRule> = {
  Shape: shape,
  Size: () => [tensorOf(DataType.INT64, [])],
  ConstantOfShape: constantOfShape,
  Range: range,
  RandomNormal: random,
  RandomUniform: random,
  RandomNormalLike: like,
  RandomUniformLike: like,
  Bernoulli: like,
  EyeLike: like,
  Multinomial: multinomial,
  HannWindow: window,
  HammingWindow: window,
  BlackmanWindow: window,
};
