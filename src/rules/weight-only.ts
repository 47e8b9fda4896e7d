import { DataType, dtypeName } from '../ir/dtype.js';
import type { Node } from '../ir/node.js';
import { constantWeight, outputChannelAxis } from '../inspect/weights.js';
import type { WeightStore } from '../quantize/weight-store.js';
import { NOT_APPLICABLE, type Rule, type SkipReason } from './rule.js';

export interface WeightOnlyContext {
  store: WeightStore;
}

export const WEIGHT_OPS = ['Conv', 'ConvTranspose', 'MatMul', 'Gemm'] as const;

/**
 * weights-int8: a constant float weight becomes int8 (or uint8) initializers and a
 * DequantizeLinear in front of its reader; the op itself still computes in float. Cuts weight
 * bytes about 4×; onnxruntime dequantizes once per run.
 */
export function weightOnlyRule(): Rule<WeightOnlyContext> {
  return {
    name: 'weight-only-int8',
    opTypes: WEIGHT_OPS,
    check(node: Node): SkipReason | undefined {
      return weightSkipReason(node);
    },
    rewrite(node: Node, ctx: WeightOnlyContext): void {
      const site = constantWeight(node)!;
      const weight = node.input(site.inputIndex)!;
      const axis = outputChannelAxis(node, site.tensor.dims.length);
      node.replaceInput(site.inputIndex, ctx.store.dequantize(weight, site.tensor, axis));
      ctx.store.replaced.add(weight);
    },
  };
}

/** Why a node's weight cannot be quantized (shared by the weight-based modes), or undefined. */
export function weightSkipReason(node: Node, withGather = false): SkipReason | undefined {
  const index = node.opType === 'Gather' ? 0 : 1;
  const value = node.input(index);
  if (!value) return { code: 'no-weight', reason: `input ${index} is absent` };
  const site = constantWeight(node, withGather);
  if (!site && node.opType === 'Gather' && !value.constTensor()) {
    return { code: NOT_APPLICABLE, reason: 'Gather reads computed data (shapes, activations), not an embedding table' };
  }
  if (!site) {
    const tensor = value.initializer;
    if (tensor && value.isGraphInput()) return { code: 'weight-is-input', reason: `weight '${value.name}' is also a graph input, so callers may replace it; it is not constant` };
    const constant = value.constTensor();
    if (constant && constant.dtype !== DataType.FLOAT) return { code: 'weight-not-float32', reason: `weight '${value.name}' is ${dtypeName(constant.dtype)}, not float32` };
    return { code: 'no-constant-weight', reason: `input ${index} ('${value.name}') is computed at run time, not a constant weight` };
  }
  if (site.tensor.dtype !== DataType.FLOAT) {
    return { code: 'weight-not-float32', reason: `weight '${value.name}' is ${dtypeName(site.tensor.dtype)}; only float32 weights are quantized (convert with \`lowbit convert --to fp32\` first)` };
  }
  if (site.tensor.size === 0) return { code: 'empty-weight', reason: `weight '${value.name}' is empty` };
  return undefined;
}
