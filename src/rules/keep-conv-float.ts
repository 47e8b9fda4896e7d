import type { Node } from '../ir/node.js';
import type { Rule, SkipReason } from './rule.js';
import { weightSkipReason } from './weight-only.js';

/**
 * dynamic mode's decision for convolutions, as a rule that always declines so that every Conv is
 * listed with the reason. Measured (bench/dynamic-conv.mjs): ConvInteger with DynamicQuantizeLinear,
 * and a weight-only DequantizeLinear in front of Conv, both run slower than float Conv in
 * onnxruntime's CPU build, which is what the peer's dynamic-quantized ISNet shows too.
 */
export const keepConvFloatRule: Rule<unknown> = {
  name: 'keep-conv-float',
  opTypes: ['Conv', 'ConvTranspose'],
  check(node: Node): SkipReason {
    const weight = weightSkipReason(node);
    if (weight) return weight;
    return {
      code: 'conv-kept-float',
      reason: 'dynamic mode keeps convolutions in float (dynamic int8 convolutions run slower than float on CPU); use --mode int8 with calibration data to quantize them',
    };
  },
  rewrite(): void {
    throw new Error('keep-conv-float never rewrites');
  },
};
