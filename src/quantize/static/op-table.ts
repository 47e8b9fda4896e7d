// Which ops run in int8 under onnxruntime's QDQ fusions, and how (as data). Source of truth:
// onnxruntime's CPU QDQ selectors (qdq_selector_action_transformer.cc): ops it turns into QLinear*
// kernels, and data-movement ops whose DequantizeLinear/QuantizeLinear pair it drops when both
// carry the same scale and zero point. Quantizing an op outside this table only adds Q/DQ work.

export type OpKind =
  /** Has a weight input: Conv → QLinearConv, MatMul → QLinearMatMul, Gemm → QGemm. */
  | 'compute'
  /** Elementwise with two activations: Add/Mul → QLinearAdd/QLinearMul. */
  | 'binary'
  /** One activation in, one out, own output range: QLinearSigmoid, QLinearAveragePool, … */
  | 'unary'
  /** Inputs and output share one scale so no input is requantized. */
  | 'concat'
  /** Moves or selects values without changing them: output shares the input's scale (QDQ dropped). */
  | 'passthrough'
  /** Where(cond, a, b) → QLinearWhere. */
  | 'where';

export interface OpQuantSpec {
  kind: OpKind;
  /** Inputs that carry float activations to quantize. */
  activations: number[];
  /** Weight input (compute ops): per-channel int8. */
  weight?: number;
  /** Bias input (Conv, Gemm): int32 with scale s_x · s_w. */
  bias?: number;
}

export const QDQ_OPS: Readonly<Record<string, OpQuantSpec>> = {
  Conv: { kind: 'compute', activations: [0], weight: 1, bias: 2 },
  MatMul: { kind: 'compute', activations: [0], weight: 1 },
  Gemm: { kind: 'compute', activations: [0], weight: 1, bias: 2 },
  Add: { kind: 'binary', activations: [0, 1] },
  Mul: { kind: 'binary', activations: [0, 1] },
  AveragePool: { kind: 'unary', activations: [0] },
  GlobalAveragePool: { kind: 'unary', activations: [0] },
  LeakyRelu: { kind: 'unary', activations: [0] },
  Sigmoid: { kind: 'unary', activations: [0] },
  Softmax: { kind: 'unary', activations: [0] },
  Concat: { kind: 'concat', activations: [] },
  Where: { kind: 'where', activations: [1, 2] },
  MaxPool: { kind: 'passthrough', activations: [0] },
  Resize: { kind: 'passthrough', activations: [0] },
  Reshape: { kind: 'passthrough', activations: [0] },
  Transpose: { kind: 'passthrough', activations: [0] },
  Flatten: { kind: 'passthrough', activations: [0] },
  Squeeze: { kind: 'passthrough', activations: [0] },
  Unsqueeze: { kind: 'passthrough', activations: [0] },
  Slice: { kind: 'passthrough', activations: [0] },
  Expand: { kind: 'passthrough', activations: [0] },
  Tile: { kind: 'passthrough', activations: [0] },
  Gather: { kind: 'passthrough', activations: [0] },
  GatherElements: { kind: 'passthrough', activations: [0] },
  Split: { kind: 'passthrough', activations: [0] },
  ReduceMax: { kind: 'passthrough', activations: [0] },
  ReduceMin: { kind: 'passthrough', activations: [0] },
};

/** Activations whose range the op before them can absorb: Relu (range starts at 0) and Clip. */
export const ABSORBABLE = new Set(['Relu', 'Clip']);
