// The history of the default (ai.onnx) domain from opset 7 to 21, as data: which operators exist at
// opset 7, and which operators got a new schema version at each later opset. Transcribed from
// onnx/defs/operator_sets.h (OpSet_Onnx_ver7 … OpSet_Onnx_ver21). A name listed at version v is
// either new at v or has a changed schema at v; which of those changes need a rewrite is decided in
// steps.ts.

/** The lowest source opset the converter accepts; older forms (consumed_inputs, is_test) are not handled. */
export const OLDEST_SOURCE_OPSET = 7;
/** The newest target opset the converter knows the history up to. */
export const NEWEST_TARGET_OPSET = 21;

/** Every ai.onnx operator that exists at opset 7. */
const OPS_AT_OPSET_7 = new Set([
  'Abs', 'Acos', 'Add', 'And', 'ArgMax', 'ArgMin', 'Asin', 'Atan', 'AveragePool', 'BatchNormalization', 'Cast', 'Ceil',
  'Clip', 'Concat', 'Constant', 'Conv', 'ConvTranspose', 'Cos', 'DepthToSpace', 'Div', 'Dropout', 'Elu', 'Equal',
  'Exp', 'Flatten', 'Floor', 'GRU', 'Gather', 'Gemm', 'GlobalAveragePool', 'GlobalLpPool', 'GlobalMaxPool', 'Greater',
  'HardSigmoid', 'Hardmax', 'Identity', 'If', 'InstanceNormalization', 'LRN', 'LSTM', 'LeakyRelu', 'Less', 'Log',
  'LogSoftmax', 'Loop', 'LpNormalization', 'LpPool', 'MatMul', 'Max', 'MaxPool', 'MaxRoiPool', 'Mean', 'Min', 'Mul',
  'Multinomial', 'Neg', 'Not', 'Or', 'PRelu', 'Pad', 'Pow', 'RNN', 'RandomNormal', 'RandomNormalLike', 'RandomUniform',
  'RandomUniformLike', 'Reciprocal', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceMax',
  'ReduceMean', 'ReduceMin', 'ReduceProd', 'ReduceSum', 'ReduceSumSquare', 'Relu', 'Reshape', 'Selu', 'Shape',
  'Sigmoid', 'Sin', 'Size', 'Slice', 'Softmax', 'Softplus', 'Softsign', 'SpaceToDepth', 'Split', 'Sqrt', 'Squeeze',
  'Sub', 'Sum', 'Tan', 'Tanh', 'Tile', 'TopK', 'Transpose', 'Unsqueeze', 'Upsample', 'Xor',
]);

/** Operators with a new or changed schema at each opset after 7. */
const CHANGED_AT: Readonly<Record<number, readonly string[]>> = {
  8: ['Expand', 'Max', 'Min', 'Sum', 'Mean', 'MaxPool', 'Scan'],
  9: [
    'BatchNormalization', 'Compress', 'ConstantOfShape', 'EyeLike', 'Greater', 'Less', 'Upsample', 'MaxUnpool',
    'Constant', 'MatMul', 'OneHot', 'PRelu', 'Gemm', 'Flatten', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'Shrink',
    'IsNaN', 'Sign', 'Scan', 'Erf', 'Scatter', 'Where', 'Cast', 'NonZero', 'TfIdfVectorizer', 'MeanVarianceNormalization',
  ],
  10: [
    'StringNormalizer', 'Upsample', 'Resize', 'TopK', 'MaxPool', 'Mod', 'AveragePool', 'Slice', 'ThresholdedRelu',
    'Dropout', 'MatMulInteger', 'QLinearMatMul', 'ConvInteger', 'QLinearConv', 'QuantizeLinear', 'DequantizeLinear',
    'IsInf', 'NonMaxSuppression', 'ReverseSequence', 'RoiAlign',
  ],
  11: [
    'Loop', 'CumSum', 'Round', 'BitShift', 'Unique', 'TopK', 'DepthToSpace', 'Equal', 'Constant', 'DynamicQuantizeLinear',
    'GatherElements', 'ScatterElements', 'Scatter', 'Clip', 'Resize', 'Range', 'Det', 'ScatterND', 'GatherND', 'Gather',
    'OneHot', 'Slice', 'Squeeze', 'Unsqueeze', 'Flatten', 'ArgMax', 'ArgMin', 'ReduceL1', 'ReduceL2', 'ReduceLogSum',
    'ReduceLogSumExp', 'ReduceMax', 'ReduceMean', 'ReduceMin', 'ReduceProd', 'ReduceSum', 'ReduceSumSquare', 'Compress',
    'Concat', 'Hardmax', 'LogSoftmax', 'Softmax', 'Scan', 'Split', 'AveragePool', 'MaxPool', 'MaxUnpool', 'LpPool',
    'Conv', 'ConvTranspose', 'SequenceEmpty', 'SequenceConstruct', 'SequenceInsert', 'SequenceAt', 'SequenceErase',
    'SequenceLength', 'SplitToSequence', 'ConcatFromSequence', 'Pad', 'Gemm', 'If', 'NonMaxSuppression',
  ],
  12: [
    'ArgMax', 'ArgMin', 'Clip', 'Einsum', 'MaxPool', 'ReduceMax', 'ReduceMin', 'GatherND', 'NegativeLogLikelihoodLoss',
    'Dropout', 'Constant', 'Celu', 'Max', 'Min', 'LessOrEqual', 'GreaterOrEqual', 'SoftmaxCrossEntropyLoss', 'Pow',
  ],
  13: [
    'Constant', 'Greater', 'Less', 'Equal', 'Add', 'Sub', 'Mul', 'Div', 'Softmax', 'LogSoftmax', 'Hardmax', 'Mod', 'Neg',
    'Abs', 'Reciprocal', 'Floor', 'Ceil', 'Sqrt', 'Relu', 'Exp', 'Log', 'Tanh', 'Pow', 'Sigmoid', 'Max', 'Min', 'Sum',
    'Mean', 'Clip', 'Gemm', 'MatMul', 'Expand', 'Sign', 'Erf', 'SoftmaxCrossEntropyLoss', 'NegativeLogLikelihoodLoss',
    'Dropout', 'Flatten', 'LRN', 'MeanVarianceNormalization', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceSumSquare',
    'ReduceMean', 'ReduceProd', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceL1', 'ReduceL2', 'ArgMax', 'ArgMin', 'Cast',
    'Reshape', 'Shape', 'Size', 'Concat', 'Split', 'Slice', 'Transpose', 'ScatterND', 'ScatterElements', 'Gather',
    'GatherElements', 'Squeeze', 'Unsqueeze', 'SpaceToDepth', 'DepthToSpace', 'Tile', 'Resize', 'Identity', 'IsNaN',
    'NonZero', 'GatherND', 'Pad', 'QuantizeLinear', 'DequantizeLinear', 'Loop', 'If',
  ],
  14: [
    'CumSum', 'Relu', 'Reshape', 'GRU', 'LSTM', 'RNN', 'Trilu', 'BatchNormalization', 'HardSwish', 'Add', 'Sub', 'Mul',
    'Div', 'Identity',
  ],
  15: ['BatchNormalization', 'Bernoulli', 'Pow', 'Optional', 'OptionalHasElement', 'OptionalGetElement', 'CastLike', 'Shape'],
  16: [
    'RoiAlign', 'ScatterND', 'ScatterElements', 'If', 'Loop', 'Identity', 'Where', 'GridSample', 'Scan', 'LessOrEqual',
    'GreaterOrEqual', 'LeakyRelu', 'PRelu',
  ],
  17: ['LayerNormalization', 'SequenceMap', 'DFT', 'HannWindow', 'HammingWindow', 'BlackmanWindow', 'MelWeightMatrix', 'STFT'],
  18: [
    'Pad', 'CenterCropPad', 'Resize', 'Mish', 'OptionalGetElement', 'OptionalHasElement', 'Split', 'Col2Im', 'ScatterND',
    'ScatterElements', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceL1', 'ReduceL2', 'ReduceMax',
    'ReduceMin', 'ReduceMean', 'ReduceProd', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot', 'GroupNormalization',
    'LpPool',
  ],
  19: [
    'Equal', 'AveragePool', 'Cast', 'CastLike', 'Constant', 'DeformConv', 'DequantizeLinear', 'Identity', 'If', 'Loop',
    'Pad', 'QuantizeLinear', 'Resize', 'Reshape', 'Scan', 'Shape', 'Size',
  ],
  20: [
    'AffineGrid', 'ConstantOfShape', 'DFT', 'Gelu', 'GridSample', 'ImageDecoder', 'IsInf', 'IsNaN', 'ReduceMax',
    'ReduceMin', 'RegexFullMatch', 'StringConcat', 'StringSplit',
  ],
  21: [
    'Cast', 'CastLike', 'Constant', 'ConstantOfShape', 'DequantizeLinear', 'Flatten', 'GroupNormalization', 'Identity',
    'If', 'Loop', 'Pad', 'QLinearMatMul', 'QuantizeLinear', 'Reshape', 'Scan', 'Shape', 'Size', 'Squeeze', 'Transpose',
    'Unsqueeze',
  ],
};

/**
 * Operators deprecated at an opset in favour of another (Upsample → Resize, Scatter →
 * ScatterElements). onnxruntime has no kernel for them from that opset on, so a node that still
 * uses one there (PyTorch exported Upsample at opset 10) is replaced whatever the source opset.
 */
const DEPRECATED_AT: Readonly<Record<string, number>> = { Upsample: 10, Scatter: 11 };

/** The smallest IR version a model importing each opset needs (ONNX release table). */
const MIN_IR_VERSION: readonly [opset: number, irVersion: number][] = [
  [21, 10],
  [19, 9],
  [15, 8],
  [12, 7],
  [11, 6],
  [10, 5],
  [9, 4],
  [7, 3],
];

/** Opset versions after `OLDEST_SOURCE_OPSET` at which `op` was introduced or changed, ascending. */
const versionsByOp: ReadonlyMap<string, readonly number[]> = (() => {
  const byOp = new Map<string, number[]>();
  for (const [version, ops] of Object.entries(CHANGED_AT)) {
    for (const op of ops) {
      const list = byOp.get(op) ?? [];
      list.push(Number(version));
      byOp.set(op, list);
    }
  }
  for (const list of byOp.values()) list.sort((a, b) => a - b);
  return byOp;
})();

/** The opset at which `op` first exists in ai.onnx (7 stands for "at or before 7"), or undefined for an unknown op. */
export function firstOpsetOf(op: string): number | undefined {
  if (OPS_AT_OPSET_7.has(op)) return OLDEST_SOURCE_OPSET;
  return versionsByOp.get(op)?.[0];
}

/**
 * The versions a node of `op` crosses on its way from opset `from` to `to`, ascending: those in
 * (from, to] at which the schema changed, led by the deprecation opset of a deprecated op that is
 * still used at or after it.
 */
export function changesBetween(op: string, from: number, to: number): number[] {
  const versions = (versionsByOp.get(op) ?? []).filter((v) => v > from && v <= to);
  const deprecated = DEPRECATED_AT[op];
  if (deprecated !== undefined && from >= deprecated && to > from) versions.unshift(deprecated);
  return versions;
}

export function minIrVersionFor(opset: number): number {
  return MIN_IR_VERSION.find(([since]) => opset >= since)?.[1] ?? 3;
}
