import type { Node } from '../ir/node.js';
import { constantWeight } from '../inspect/weights.js';
import { int4SkipReason, scaleTypeOf, type Int4Context } from './matmul-nbits.js';
import type { Rule } from './rule.js';

/**
 * int4 with `--int4-format qdq`: standard ONNX for runtimes without com.microsoft ops. The weight
 * becomes an int4 (symmetric) or uint4 [K, N] tensor read by one opset-21 DequantizeLinear(axis 0,
 * block_size); the MatMul stays and now reads the dequantized weight.
 */
export const qdqInt4Rule: Rule<Int4Context> = {
  name: 'qdq-int4',
  opTypes: ['MatMul'],
  check: int4SkipReason,
  rewrite(node: Node, ctx: Int4Context): void {
    const site = constantWeight(node)!;
    const weight = node.input(1)!;
    node.replaceInput(1, ctx.store.dequantize(weight, site.tensor, scaleTypeOf(node)));
    ctx.store.replaced.add(weight);
  },
};
