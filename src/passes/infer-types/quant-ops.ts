import { DataType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/types.js';
import { cannotInfer, type InferContext, type TypeRule } from './context.js';
import { broadcastInputs, sameAs, tensorOf, tryShape } from './common.js';
import { convShape, poolShape } from './conv.js';
import { rnnRules } from './rnn.js';
import { addDims, normalizeAxis } from './dims.js';
import { matmulShape } from './linalg.js';

// Quantization operators of ai.onnx and com.microsoft. Their element types are what later passes
// place Casts and Q/DQ pairs by, so each follows the spec's rule for where it comes from.

/** QuantizeLinear: the zero point's type; else output_dtype (opset 21); else uint8. */
const quantizeLinear: TypeRule = (ctx) => {
  let dtype: DataType;
  if (ctx.has(2)) dtype = ctx.dtype(2);
  else dtype = (ctx.domain === '' && ctx.opset >= 21 ? ctx.int('output_dtype', 0) : 0) || DataType.UINT8;
  return [tensorOf(dtype, ctx.shape(0))];
};

/** DequantizeLinear: the scale's type (float before opset 19); output_dtype from opset 23. */
const dequantizeLinear: TypeRule = (ctx) => {
  const declared = ctx.domain === '' && ctx.opset >= 23 ? ctx.int('output_dtype', 0) : 0;
  const fromScale = ctx.optionalDtype(1) ?? (ctx.domain === '' && ctx.opset < 19 ? DataType.FLOAT : undefined);
  const dtype = declared || fromScale;
  if (!dtype) cannotInfer("the scale's type is unknown");
  return [tensorOf(dtype, ctx.shape(0))];
};

const dynamicQuantizeLinear: TypeRule = (ctx) => [
  tensorOf(DataType.UINT8, ctx.shape(0)),
  tensorOf(DataType.FLOAT, []),
  tensorOf(DataType.UINT8, []),
];

function matmulOf(ctx: InferContext, a: number, b: number, dtype: DataType) {
  return [tensorOf(dtype, tryShape(() => matmulShape(ctx.shape(a), ctx.shape(b))))];
}

/** MatMulNBits: A [..., K] times packed B of N columns gives [..., N] in A's type. */
const matMulNBits: TypeRule = (ctx) => {
  const a = ctx.shape(0);
  const n = ctx.int('N');
  return [tensorOf(ctx.dtype(0), a && n !== undefined ? [...a.slice(0, -1), n] : undefined)];
};

/**
 * GatherBlockQuantized: a Gather on blockwise-quantized data, dequantized to the scales' type.
 * uint8 data holds 8 / bits values per byte along the quantize axis.
 */
function gatherBlockQuantizedShape(ctx: InferContext): Dim[] | undefined {
  const data = ctx.shape(0);
  const indices = ctx.shape(1);
  if (!data || !indices) return undefined;
  const unpacked = [...data];
  if (ctx.dtype(0) === DataType.UINT8) {
    const axis = normalizeAxis(ctx.int('quantize_axis', 1), data.length);
    const perByte = 8 / ctx.int('bits', 4);
    const d = unpacked[axis]!;
    unpacked[axis] = typeof d === 'number' ? d * perByte : null;
  }
  const axis = normalizeAxis(ctx.int('gather_axis', 0), data.length);
  return [...unpacked.slice(0, axis), ...indices, ...unpacked.slice(axis + 1)];
}

/** QGemm: float output unless an output zero point makes it quantized. */
const qgemm: TypeRule = (ctx) => {
  const a = ctx.shape(0);
  const b = ctx.shape(3);
  const m = a?.length === 2 ? a[ctx.int('transA', 0) ? 1 : 0]! : undefined;
  const n = b?.length === 2 ? b[ctx.int('transB', 0) ? 0 : 1]! : undefined;
  const dtype = ctx.has(8) ? ctx.dtype(8) : DataType.FLOAT;
  return [tensorOf(dtype, m !== undefined && n !== undefined ? [m, n] : undefined)];
};

/** QLinearConcat: inputs are Y_scale, Y_zero_point, then (X, scale, zero point) triples. */
const qlinearConcat: TypeRule = (ctx) => {
  const xs = Array.from({ length: Math.floor((ctx.inputCount - 2) / 3) }, (_, k) => ctx.shape(2 + 3 * k));
  const shape = tryShape(() => {
    if (xs.length === 0 || xs.some((s) => !s)) return undefined;
    const axis = normalizeAxis(ctx.int('axis', 0), xs[0]!.length);
    return xs[0]!.map((d, i) => (i === axis ? xs.reduce<Dim>((sum, s) => addDims(sum, s![i]!), 0) : d));
  });
  return [tensorOf(ctx.dtype(1), shape)];
};

const qlinearGlobalAveragePool: TypeRule = (ctx) => {
  const x = ctx.shape(0);
  const last = ctx.int('channels_last', 0) === 1;
  const shape = x && (last ? [x[0]!, ...x.slice(1, -1).map(() => 1), x[x.length - 1]!] : [x[0]!, x[1]!, ...x.slice(2).map(() => 1)]);
  return [tensorOf(ctx.dtype(0), shape)];
};

/** QAttention: float output [batch, sequence, hidden], hidden a third of the packed bias. */
const qattention: TypeRule = (ctx) => {
  const x = ctx.shape(0);
  const packed = ctx.shape(2)?.[0];
  const hidden: Dim = typeof packed === 'number' ? packed / 3 : null;
  return [tensorOf(ctx.dtype(3), x?.length === 3 ? [x[0]!, x[1]!, hidden] : undefined)];
};

export const onnxQuantRules: Record<string, TypeRule> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  DynamicQuantizeLinear: dynamicQuantizeLinear,
  MatMulInteger: (ctx) => matmulOf(ctx, 0, 1, DataType.INT32),
  ConvInteger: (ctx) => [tensorOf(DataType.INT32, tryShape(() => convShape(ctx, 0, 1)))],
  QLinearConv: (ctx) => [tensorOf(ctx.dtype(7), tryShape(() => convShape(ctx, 0, 3)))],
  QLinearMatMul: (ctx) => matmulOf(ctx, 0, 3, ctx.dtype(7)),
};

export const microsoftQuantRules: Record<string, TypeRule> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  DynamicQuantizeMatMul: (ctx) => matmulOf(ctx, 0, 1, ctx.dtype(0)),
  MatMulIntegerToFloat: (ctx) => matmulOf(ctx, 0, 1, ctx.dtype(2)),
  MatMulNBits: matMulNBits,
  GatherBlockQuantized: (ctx) => [tensorOf(ctx.dtype(2), tryShape(() => gatherBlockQuantizedShape(ctx)))],
  MulInteger: (ctx) => [tensorOf(DataType.INT32, tryShape(() => broadcastInputs(ctx, [0, 2])))],
  QLinearAdd: (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => broadcastInputs(ctx, [0, 3])))],
  QLinearMul: (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => broadcastInputs(ctx, [0, 3])))],
  QLinearSigmoid: sameAs(0),
  QLinearLeakyRelu: sameAs(0),
  QLinearSoftmax: sameAs(0),
  QLinearConcat: qlinearConcat,
  QLinearGlobalAveragePool: qlinearGlobalAveragePool,
  QGemm: qgemm,
  QAttention: qattention,
  QLinearAveragePool: (ctx) => [tensorOf(ctx.dtype(0), ctx.int('channels_last', 0) ? undefined : tryShape(() => poolShape(ctx)))],
  DynamicQuantizeLSTM: rnnRules.LSTM!,
};
