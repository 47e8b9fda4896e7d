import { DataType } from '../../ir/dtype.js';
import type { TypeRule } from './context.js';
import { broadcastAll, broadcastInputs, sameAs, sharedDtype, tensorOf, tryShape } from './common.js';

// Elementwise operators: the output has the (broadcast) shape of the inputs and, except for
// comparisons and predicates, their element type.

const UNARY_SAME_TYPE = [
  'Abs', 'Neg', 'Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Round',
  'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'Erf', 'Sign',
  'Softplus', 'Softsign', 'Elu', 'Selu', 'LeakyRelu', 'ThresholdedRelu', 'HardSigmoid', 'HardSwish', 'Mish',
  'Celu', 'Gelu', 'Shrink', 'BitwiseNot', 'Not', 'Clip', 'PRelu', 'Softmax', 'LogSoftmax', 'Hardmax',
  'LpNormalization', 'Trilu', 'CumSum', 'ReverseSequence', 'MeanVarianceNormalization',
  'Swish',
];

/** Broadcasting operators whose output keeps the inputs' element type. */
const BROADCAST_SAME_TYPE = ['Add', 'Sub', 'Mul', 'Div', 'Mod', 'Sum', 'Mean', 'Max', 'Min', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor'];

/** Broadcasting operators with a boolean result. */
const BROADCAST_BOOL = ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor'];

const predicate: TypeRule = (ctx) => [tensorOf(DataType.BOOL, ctx.shape(0))];

const broadcastBool: TypeRule = (ctx) => {
  const inputs = ctx.node.inputs.map((_, i) => i);
  return [tensorOf(DataType.BOOL, tryShape(() => broadcastInputs(ctx, inputs)))];
};

/** Pow's exponent may have another type; the result has the base's. */
const pow: TypeRule = (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => broadcastInputs(ctx, [0, 1])))];

const where: TypeRule = (ctx) => [tensorOf(sharedDtype(ctx, [1, 2]), tryShape(() => broadcastInputs(ctx, [0, 1, 2])))];

/** Dropout's mask is bool from opset 10 on; before that it had the data's type. */
const dropout: TypeRule = (ctx) => {
  const x = tensorOf(ctx.dtype(0), ctx.shape(0));
  const mask = tensorOf(ctx.opset >= 10 ? DataType.BOOL : x.elemType, ctx.shape(0));
  return [x, mask];
};

export const elementwiseRules: Record<string, TypeRule> = {
  Pow: pow,
  Where: where,
  Dropout: dropout,
  IsNaN: predicate,
  IsInf: predicate,
};
for (const op of UNARY_SAME_TYPE) elementwiseRules[op] = sameAs(0);
for (const op of BROADCAST_SAME_TYPE) elementwiseRules[op] = broadcastAll;
for (const op of BROADCAST_BOOL) elementwiseRules[op] = broadcastBool;
