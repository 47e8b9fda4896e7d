import type { Node } from '../../ir/node.js';

// Which operators may compute in float16, and which of their inputs and outputs stay float32 when
// they do. The lists come from the ONNX schemas' type constraints and from loading one-node fp16
// models in onnxruntime-node 1.30 (CPU): every op of the corpus and the common ones load in fp16
// (onnxruntime inserts Casts around kernels it lacks), except those listed here.

/** Why an operator never runs in float16; the code goes into the kept-float diagnostic. */
export interface KeepReason {
  code: string;
  reason: string;
}

const NO_FP16_TYPE = 'fp16-unsupported';

/** Default-domain ops that stay float32, with the reason. */
const ALWAYS_FLOAT: Record<string, KeepReason> = {
  Range: { code: NO_FP16_TYPE, reason: 'Range has no float16 type in the ONNX schema (onnxruntime refuses to load it), and fp16 steps would accumulate error' },
  NonMaxSuppression: { code: NO_FP16_TYPE, reason: 'NonMaxSuppression takes float32 boxes and scores only' },
  Celu: { code: NO_FP16_TYPE, reason: 'Celu is defined for float32 only' },
  DynamicQuantizeLinear: { code: NO_FP16_TYPE, reason: 'DynamicQuantizeLinear takes float32 only' },
  CumSum: { code: 'fp16-precision', reason: 'a running sum in float16 loses precision quickly (onnxconverter-common keeps it in float too)' },
  RandomNormal: { code: 'fp16-random', reason: 'random ops have no float16 kernel in onnxruntime' },
  RandomUniform: { code: 'fp16-random', reason: 'random ops have no float16 kernel in onnxruntime' },
  RandomNormalLike: { code: 'fp16-random', reason: 'random ops are kept in float32 (no float16 kernel for the generators in onnxruntime)' },
  RandomUniformLike: { code: 'fp16-random', reason: 'random ops are kept in float32 (no float16 kernel for the generators in onnxruntime)' },
  Bernoulli: { code: 'fp16-random', reason: 'random ops are kept in float32' },
  Multinomial: { code: 'fp16-random', reason: 'random ops are kept in float32' },
};

/** Quantization ops: their float operands are scales, which stay float32 before opset 19. */
const QUANTIZATION_OPS = new Set([
  'QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'QLinearMatMul', 'MatMulInteger', 'ConvInteger',
]);

/** Ops whose schema allows float16 only from some opset on. */
const FP16_SINCE: Record<string, number> = { IsInf: 20 };

/**
 * Ops for which a constant operand clamped to ±65504 keeps its meaning: additive masks (-1e9,
 * -3.4e38), fill values, bounds and thresholds. Elsewhere (a BatchNormalization variance of 1e7, a
 * Mul by 2^20) clamping would silently change the result, so such a node stays float32 instead.
 */
export const CLAMP_TOLERANT = new Set(['Add', 'Sub', 'Where', 'Min', 'Max', 'Clip', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Equal', 'Pad']);

/** Inputs that must stay float32 even when the op runs in float16 (Resize scales and roi). */
export function float32Inputs(node: Node, opset: number): readonly number[] {
  if (node.domain !== '') return [];
  switch (node.opType) {
    case 'Resize':
      return opset >= 11 ? [1, 2] : [1];
    case 'Upsample':
      return [1];
    default:
      return [];
  }
}

/** Outputs that stay float32 when the op runs in float16 (LayerNormalization's mean and inverse std). */
export function float32Outputs(node: Node): readonly number[] {
  if (node.domain === '' && node.opType === 'LayerNormalization') return [1, 2];
  return [];
}

/** Why `node` must stay in float32 whatever its neighbours do, or undefined when fp16 is fine. */
export function keepReasonFor(node: Node, opset: number, block: ReadonlySet<string>): KeepReason | undefined {
  if (block.has(node.opType) || (node.name !== '' && block.has(node.name))) {
    return { code: 'fp16-blocked', reason: `kept in float32 by the block list (${block.has(node.opType) ? node.opType : node.name})` };
  }
  if (node.domain !== '') {
    return { code: 'fp16-other-domain', reason: `ops of domain '${node.domain}' are kept in float32: lowbit does not know their float16 support` };
  }
  const always = ALWAYS_FLOAT[node.opType];
  if (always) return always;
  if (QUANTIZATION_OPS.has(node.opType)) {
    return { code: NO_FP16_TYPE, reason: `${node.opType} is a quantization op; its scales stay float32` };
  }
  const since = FP16_SINCE[node.opType];
  if (since !== undefined && opset < since) {
    return { code: NO_FP16_TYPE, reason: `${node.opType} accepts float16 only from opset ${since} (the model imports ${opset})` };
  }
  return undefined;
}
