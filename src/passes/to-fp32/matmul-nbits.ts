import { DataType, dtypeName, isFloatType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { Node } from '../../ir/node.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import { toFloat32, typedData } from '../../ir/tensor/values.js';
import type { Value } from '../../ir/value.js';
import { dequantizeInt4 } from '../../quant/int4-blocks.js';
import { fromMatMulNBits } from '../../quant/int4-layout.js';
import { blockCount } from '../../quant/int4.js';
import type { SkipReason } from '../../rules/rule.js';
import { replaceNode } from './dead-code.js';
import type { FloatWeights } from './float-weights.js';

/**
 * com.microsoft MatMulNBits(A, B, scales[, zero_points][, g_idx][, bias]) is MatMul(A, W) (+ bias)
 * with W[K, N] = (code − zero) × scale of each block along K, which is what it becomes: the
 * MatMul keeps the node's name, and the last op (MatMul, or the Add of the bias) its output.
 * Returns why the node was left alone, or undefined when it was rewritten.
 */
export function undoMatMulNBits(model: Model, op: Node, weights: FloatWeights): SkipReason | undefined {
  const form = matchMatMulNBits(op);
  if (!('b' in form)) return form;
  const { k, n, blockSize, bits } = form;
  const key = ['MatMulNBits', ...[form.b, form.scales, form.zeroPoints].map((v) => v?.name ?? ''), k, n, blockSize, bits].join('\u0000');
  const weight = weights.cached(key, form.b, [k, n], () => dequantizeInt4(
    fromMatMulNBits({ b: form.b.constTensor()!.bytes(), scales: toFloat32(form.scales.constTensor()!), zeroPoints: zeroPointsOf(form.zeroPoints) }, k, n, blockSize, bits),
  ));
  const a = op.input(0)!;
  const bias = op.input(5);
  replaceNode(op, (out, name) => {
    const matmul = new Node({ opType: 'MatMul', name, inputs: [a, weight], outputs: bias ? [model.freshName(`${out.name}_matmul`)] : [out] });
    // MatMulNBits adds its bias [N] along the last axis: Add broadcasts it the same way.
    return bias ? [matmul, new Node({ opType: 'Add', name: model.freshName(`${name || out.name}_bias`), inputs: [matmul.output(), bias], outputs: [out] })] : [matmul];
  });
  return undefined;
}

interface NBitsForm {
  b: Value;
  scales: Value;
  zeroPoints: Value | undefined;
  k: number;
  n: number;
  blockSize: number;
  bits: 4 | 8;
}

/** The constant operands of a MatMulNBits in the layout onnxruntime documents, or why not. */
function matchMatMulNBits(op: Node): NBitsForm | SkipReason {
  const k = op.attrInt('K') ?? 0;
  const n = op.attrInt('N') ?? 0;
  const blockSize = op.attrInt('block_size') ?? 0;
  const bits = op.attrInt('bits', 4);
  if (bits !== 4 && bits !== 8) return { code: 'fp32-nbits-bits', reason: `MatMulNBits with bits = ${bits}; only 4 and 8 are undone` };
  if (k <= 0 || n <= 0 || blockSize < 1) return { code: 'fp32-nbits-attributes', reason: 'MatMulNBits lacks a positive K, N or block_size' };
  const kBlocks = blockCount(k, blockSize);
  const [b, scales, zeroPoints] = [op.input(1), op.input(2), op.input(3)];
  const bTensor = b?.constTensor();
  const scaleTensor = scales?.constTensor();
  if (!b || !scales || !bTensor || !scaleTensor || (zeroPoints && !zeroPoints.constTensor())) {
    return { code: 'fp32-weight-not-constant', reason: "MatMulNBits' B, scales or zero points are not constants" };
  }
  if (bTensor.dtype !== DataType.UINT8 || bTensor.size !== n * kBlocks * ((blockSize * bits) / 8)) {
    return { code: 'fp32-nbits-layout', reason: `B is ${dtypeName(bTensor.dtype)} [${bTensor.dims.join(', ')}], not uint8 [${n}, ${kBlocks}, ${(blockSize * bits) / 8}]` };
  }
  if (!isFloatType(scaleTensor.dtype) || scaleTensor.size !== n * kBlocks) return { code: 'fp32-nbits-layout', reason: `scales are not ${n} × ${kBlocks} floats` };
  const zeroTensor = zeroPoints?.constTensor();
  if (zeroTensor) {
    const packed = zeroTensor.dtype === DataType.UINT8 && zeroTensor.size === n * Math.ceil((kBlocks * bits) / 8);
    const fractional = isFloatType(zeroTensor.dtype) && zeroTensor.size === n * kBlocks;
    if (!packed && !fractional) return { code: 'fp32-nbits-layout', reason: `zero points are neither uint8 packed [${n}, ${Math.ceil((kBlocks * bits) / 8)}] nor float [${n}, ${kBlocks}]` };
  }
  const gIdx = op.input(4);
  if (gIdx && !isTrivialGroupIndex(gIdx.constTensor(), k, blockSize)) {
    return { code: 'fp32-nbits-g-idx', reason: "MatMulNBits' g_idx puts rows in blocks out of their order (act-order GPTQ); only the plain order row / block_size is undone" };
  }
  // Measured with onnxruntime-node 1.30: given a g_idx, its CPU kernel reads every packed zero
  // point as 8, so which float weight the model stands for depends on the runtime.
  if (gIdx && zeroTensor?.dtype === DataType.UINT8) {
    return { code: 'fp32-nbits-g-idx', reason: "MatMulNBits has both a g_idx and packed zero points, which onnxruntime's CPU kernel ignores in that case (it reads 8); the float weight is ambiguous, so the node stays" };
  }
  return { b, scales, zeroPoints, k, n, blockSize, bits: bits as 4 | 8 };
}

/** g_idx[i] = ⌊i / block_size⌋ says no more than the absent input does. */
function isTrivialGroupIndex(t: Tensor | undefined, k: number, blockSize: number): boolean {
  if (!t || t.dtype !== DataType.INT32 || t.size !== k) return false;
  const groups = typedData(t) as Int32Array;
  return groups.every((g, i) => g === Math.floor(i / blockSize));
}

/** Packed uint8 zero points as they are; fractional ones (float or float16) as float32. */
function zeroPointsOf(v: Value | undefined): Uint8Array | Float32Array | undefined {
  const t = v?.constTensor();
  if (!t) return undefined;
  return t.dtype === DataType.UINT8 ? t.bytes() : toFloat32(t);
}
