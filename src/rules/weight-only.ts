import { DataType, dtypeName } from '../ir/dtype.js';
import type { Node } from '../ir/node.js';
import { constantWeight, outputChannelAxis } from '../inspect/weights.js';
import type { WeightStore } from '../quantize/weight-store.js';
import type { Rule, SkipReason } from './rule.js';

export interface WeightOnlyContext {
  store: WeightStore;
}

/**
 * weights-int8: a constant float weight becomes int8 (or uint8) initializers and a
 * DequantizeLinear in front of its reader; the op itself still computes in float. Cuts weight
 * bytes about 4×; onnxruntime dequantizes once per run.
 */
export function weightOnlyRule(withGather: boolean): Rule<WeightOnlyContext> {
  return {
    name: 'weight-only-int8',
    opTypes: withGather ? ['Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'Gather'] : ['Conv', 'ConvTranspose', 'MatMul', 'Gemm'],
    check(node: Node): SkipReason | undefined {
      return weightSkipReason(node, withGather);
    },
    rewrite(node: Node, ctx: WeightOnlyContext): void {
      const site = constantWeight(node, withGather)!;
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
