import { AttrType } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtype.js';
import { cannotInfer, type TypeRule } from './context.js';
import { tensorOf } from './common.js';

// Operators whose output type comes from an attribute or from one input: constants and casts.

/** Constant: whichever of its value attributes is set fixes the type and shape. */
const constant: TypeRule = (ctx) => {
  const a = ctx.attr('value') ?? ctx.attr('sparse_value') ?? ctx.attr('value_float') ?? ctx.attr('value_floats') ??
    ctx.attr('value_int') ?? ctx.attr('value_ints') ?? ctx.attr('value_string') ?? ctx.attr('value_strings');
  switch (a?.type) {
    case AttrType.TENSOR:
      return [tensorOf(a.value.dtype, a.value.dims)];
    case AttrType.SPARSE_TENSOR:
      return [tensorOf(a.value.values.dtype, a.value.dims)];
    case AttrType.FLOAT:
      return [tensorOf(DataType.FLOAT, [])];
    case AttrType.FLOATS:
      return [tensorOf(DataType.FLOAT, [a.value.length])];
    case AttrType.INT:
      return [tensorOf(DataType.INT64, [])];
    case AttrType.INTS:
      return [tensorOf(DataType.INT64, [a.value.length])];
    case AttrType.STRING:
      return [tensorOf(DataType.STRING, [])];
    case AttrType.STRINGS:
      return [tensorOf(DataType.STRING, [a.value.length])];
    default:
      return cannotInfer('Constant has no value attribute');
  }
};

/** Cast's type is its 'to' even when the input's type is unknown. */
const cast: TypeRule = (ctx) => {
  const to = ctx.dtypeAttr('to');
  if (to === undefined) cannotInfer("Cast has no 'to' attribute");
  return [tensorOf(to, ctx.shape(0))];
};

const castLike: TypeRule = (ctx) => [tensorOf(ctx.dtype(1), ctx.shape(0))];

const det: TypeRule = (ctx) => [tensorOf(ctx.dtype(0), ctx.shape(0)?.slice(0, -2))];

export const miscRules: Record<string, TypeRule> = {
  Constant: constant,
  Cast: cast,
  CastLike: castLike,
  Det: det,
  NonMaxSuppression: () => [tensorOf(DataType.INT64, [null, 3])],
};
