import { attr } from '../ir/attribute.js';
import { DataType, dtypeName } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import { isTensorType } from '../ir/types.js';
import { constantWeight } from '../inspect/weights.js';
import type { Int4WeightStore, ScaleType } from '../quantize/int4/int4-store.js';
import { NOT_APPLICABLE, type Rule, type SkipReason } from './rule.js';

export const MS_DOMAIN = 'com.microsoft';

export interface Int4Context {
  model: Model;
  store: Int4WeightStore;
}

/**
 * Why a MatMul's weight cannot go to 4 bits, or undefined. Both int4 formats need a constant 2-D
 * [K, N] float32/float16 weight and an activation of the same float type (the scales take it).
 */
export function int4SkipReason(node: Node): SkipReason | undefined {
  if (node.domain !== '' || node.opType !== 'MatMul') return { code: NOT_APPLICABLE, reason: 'not a MatMul' };
  const weight = node.input(1);
  const site = constantWeight(node);
  if (!site || !weight) {
    if (weight?.initializer && weight.isGraphInput()) return { code: 'weight-is-input', reason: `weight '${weight.name}' is also a graph input, so callers may replace it; it is not constant` };
    return { code: 'no-constant-weight', reason: `input 1 ('${weight?.name ?? ''}') is computed at run time, not a constant weight` };
  }
  const { dtype, dims } = site.tensor;
  if (dtype !== DataType.FLOAT && dtype !== DataType.FLOAT16) return { code: 'weight-not-float', reason: `weight '${weight.name}' is ${dtypeName(dtype)}; int4 takes float32 or float16 weights` };
  if (dims.length !== 2) return { code: 'weight-not-2d', reason: `weight '${weight.name}' is ${dims.length}-D; 4-bit blocks need a 2-D [K, N] weight` };
  if (site.tensor.size === 0) return { code: 'empty-weight', reason: `weight '${weight.name}' is empty` };
  const a = node.input(0)!;
  if (!isTensorType(a.type)) return { code: 'input-type-unknown', reason: `the type of input '${a.name}' is unknown, so the scales' type cannot be chosen` };
  if (a.type.elemType !== dtype) return { code: 'input-type-mismatch', reason: `input '${a.name}' is ${dtypeName(a.type.elemType)} but the weight is ${dtypeName(dtype)}` };
  if (a.type.shape && a.type.shape.length < 2) return { code: 'input-1d', reason: `input '${a.name}' is 1-D; MatMulNBits and this rewrite take inputs of rank 2 or more` };
  return undefined;
}

export function scaleTypeOf(node: Node): ScaleType {
  const a = node.input(0)!.type;
  return isTensorType(a) && a.elemType === DataType.FLOAT16 ? DataType.FLOAT16 : DataType.FLOAT;
}

/**
 * int4 (default format): MatMul(A, W[K, N]) becomes com.microsoft MatMulNBits(A, B, scales[, zero
 * points]) with K, N, bits = 4, block_size and accuracy_level: the layout onnxruntime (CPU, web,
 * WebGPU) and Transformers.js' q4 models use. The output Value is kept, so readers are untouched.
 */
export const matMulNBitsRule: Rule<Int4Context> = {
  name: 'matmul-nbits',
  opTypes: ['MatMul'],
  check: int4SkipReason,
  rewrite(node: Node, ctx: Int4Context): void {
    const site = constantWeight(node)!;
    const weight = node.input(1)!;
    const q = ctx.store.get(weight, site.tensor, scaleTypeOf(node));
    ctx.store.replaced.add(weight);
    const { blockSize, accuracyLevel } = ctx.store.settings;
    const out = node.output();
    node.setOutput(0, null);
    const nbits = new Node({
      opType: 'MatMulNBits',
      domain: MS_DOMAIN,
      name: node.name || ctx.model.freshName(`${out.name}_MatMulNBits`),
      inputs: q.zeroPoints ? [node.input(0)!, q.data, q.scales, q.zeroPoints] : [node.input(0)!, q.data, q.scales],
      outputs: [out],
      attributes: {
        K: attr.int(q.k),
        N: attr.int(q.n),
        bits: attr.int(4),
        block_size: attr.int(blockSize),
        ...(accuracyLevel !== undefined ? { accuracy_level: attr.int(accuracyLevel) } : {}),
      },
    });
    node.graph!.insertBefore(node, nbits);
    node.graph!.removeNode(node);
  },
};
