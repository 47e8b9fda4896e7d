import { isFloatType } from '../ir/dtype.js';
import type { Node } from '../ir/node.js';
import type { Tensor } from '../ir/tensor/tensor.js';

/** Which input of each op holds the weight that quantization turns to int8/int4. */
export const WEIGHT_INPUT: Record<string, number> = { Conv: 1, ConvTranspose: 1, MatMul: 1, Gemm: 1, Gather: 0 };

export interface WeightSite {
  node: Node;
  inputIndex: number;
  tensor: Tensor;
}

/**
 * The constant float weight a node multiplies by, if it has one: Conv/ConvTranspose W, MatMul B,
 * Gemm B (and, when asked, a Gather's embedding table). Constant means an initializer that is not also a graph input, or a Constant node output.
 */
export function constantWeight(node: Node, withGather = false): WeightSite | undefined {
  if (node.domain !== '' || (node.opType === 'Gather' && !withGather)) return undefined;
  const index = WEIGHT_INPUT[node.opType];
  if (index === undefined) return undefined;
  const value = node.input(index);
  const tensor = value?.constTensor();
  if (!tensor || !isFloatType(tensor.dtype)) return undefined;
  return { node, inputIndex: index, tensor };
}

/** A MatMul whose constant weight is a 2-D [K, N] matrix: what 4-bit MatMulNBits can replace. */
export function isInt4Eligible(node: Node): boolean {
  if (node.opType !== 'MatMul') return false;
  const site = constantWeight(node);
  return site !== undefined && site.tensor.dims.length === 2;
}

/** Ops that quantize activations or run on quantized ones: a model with them is int8 through and through. */
export const QUANTIZED_ACTIVATION_OPS: ReadonlySet<string> = new Set([
  'QuantizeLinear',
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'MatMulIntegerToFloat',
  'ConvInteger',
  'QLinearConv',
  'QLinearMatMul',
  'QLinearAdd',
  'QLinearMul',
  'DynamicQuantizeMatMul',
  'QGemm',
  'QAttention',
]);

/** Ops that show a model is already quantized: those, and the ops of quantized weights. */
export const QUANTIZED_OPS: ReadonlySet<string> = new Set([...QUANTIZED_ACTIVATION_OPS, 'DequantizeLinear', 'MatMulNBits', 'GatherBlockQuantized']);

/**
 * The axis whose slices get their own scale: the output channels. Conv W [M, C, k…] → 0;
 * ConvTranspose W [C, M/group, k…] → 1; MatMul B [.., K, N] → last; Gemm B → 0 when transB else 1;
 * Gather table [V, D] → 0 (one scale per row). Undefined for a 1-D or scalar weight.
 */
export function outputChannelAxis(node: Node, rank: number): number | undefined {
  if (rank < 2) return undefined;
  switch (node.opType) {
    case 'Conv':
      return 0;
    case 'ConvTranspose':
      return 1;
    case 'MatMul':
      return rank - 1;
    case 'Gemm':
      return node.attrInt('transB', 0) ? 0 : 1;
    case 'Gather':
      return node.attrInt('axis', 0) === 0 ? 0 : undefined;
    default:
      return undefined;
  }
}
