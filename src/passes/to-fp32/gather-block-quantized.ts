import { attr } from '../../ir/attribute.js';
import { DataType, dtypeName, isFloatType } from '../../ir/dtype.js';
import { Node } from '../../ir/node.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import type { Value } from '../../ir/value.js';
import type { SkipReason } from '../../rules/rule.js';
import { replaceNode } from './dead-code.js';
import { dequantizeTensor } from './dequantize.js';
import type { FloatWeights } from './float-weights.js';

/**
 * com.microsoft GatherBlockQuantized(data, indices, scales[, zero_points]) picks rows of a table
 * quantized in blocks along `quantize_axis` and dequantizes them, (q − zero) × scale as blocked
 * DequantizeLinear does; it becomes Gather on the table dequantized once. (The op returns zeros
 * for an index out of range where Gather fails; a model that reads past its table is broken anyway.)
 * Returns why the node was left alone, or undefined when it was rewritten.
 */
export function undoGatherBlockQuantized(op: Node, weights: FloatWeights): SkipReason | undefined {
  const form = matchGatherBlockQuantized(op);
  if (!('data' in form)) return form;
  const { data, scales, zeroPoints, quantizeAxis, blockSize } = form;
  const dataTensor = data.constTensor()!;
  const scaleTensor = scales.constTensor()!;
  const key = ['GatherBlockQuantized', data.name, scales.name, zeroPoints?.name ?? '', quantizeAxis, blockSize].join('\u0000');
  const table = weights.cached(key, data, dataTensor.dims, () =>
    dequantizeTensor(dataTensor, { scale: scaleTensor, zeroPoint: zeroPoints?.constTensor() ?? defaultZeroPoint(dataTensor, scaleTensor), axis: quantizeAxis, blockSize }),
  );
  const indices = op.input(1)!;
  replaceNode(op, (out, name) => [new Node({ opType: 'Gather', name, inputs: [table, indices], outputs: [out], attributes: { axis: attr.int(form.gatherAxis) } })]);
  return undefined;
}

interface BlockQuantizedTable {
  data: Value;
  scales: Value;
  zeroPoints: Value | undefined;
  gatherAxis: number;
  quantizeAxis: number;
  blockSize: number;
}

/**
 * The table forms whose element i is one stored value: int4 / uint4 (bits 4) and uint8 with
 * bits 8. uint8 holding two or four values per byte (bits 4 or 2) is onnxruntime's other layout,
 * with its own padding; lowbit does not write it and does not undo it.
 */
function matchGatherBlockQuantized(op: Node): BlockQuantizedTable | SkipReason {
  const [data, scales, zeroPoints] = [op.input(0), op.input(2), op.input(3)];
  const dataTensor = data?.constTensor();
  const scaleTensor = scales?.constTensor();
  if (!data || !scales || !dataTensor || !scaleTensor || (zeroPoints && !zeroPoints.constTensor())) {
    return { code: 'fp32-weight-not-constant', reason: "GatherBlockQuantized's table, scales or zero points are not constants" };
  }
  const bits = op.attrInt('bits', 4);
  const oneValueEach = dataTensor.dtype === DataType.UINT8 ? bits === 8 : (dataTensor.dtype === DataType.INT4 || dataTensor.dtype === DataType.UINT4) && bits === 4;
  if (!oneValueEach) return { code: 'fp32-gbq-layout', reason: `a ${dtypeName(dataTensor.dtype)} table with bits = ${bits}; only int4/uint4 (bits 4) and uint8 (bits 8) tables are undone` };
  const rank = dataTensor.dims.length;
  const gatherAxis = normalize(op.attrInt('gather_axis', 0), rank);
  const quantizeAxis = normalize(op.attrInt('quantize_axis', 1), rank);
  const blockSize = op.attrInt('block_size', 128);
  if (blockSize < 1 || quantizeAxis < 0 || quantizeAxis >= rank || gatherAxis < 0 || gatherAxis >= rank) return { code: 'fp32-gbq-attributes', reason: 'gather_axis, quantize_axis or block_size is out of range' };
  const expected = dataTensor.dims.map((d, i) => (i === quantizeAxis ? Math.ceil(d / blockSize) : d));
  const zeroTensor = zeroPoints?.constTensor();
  if (!isFloatType(scaleTensor.dtype) || scaleTensor.dims.join() !== expected.join()) return { code: 'fp32-gbq-layout', reason: `scales are not floats shaped [${expected.join(', ')}]` };
  if (zeroTensor && (zeroTensor.dtype !== dataTensor.dtype || zeroTensor.dims.join() !== expected.join())) {
    return { code: 'fp32-gbq-layout', reason: `zero points are not ${dtypeName(dataTensor.dtype)} shaped [${expected.join(', ')}]` };
  }
  return { data, scales, zeroPoints, gatherAxis, quantizeAxis, blockSize };
}

/** Without zero points, int4 and uint4 tables are centred on 0 and uint8 ones on 128 (2^(bits−1)). */
function defaultZeroPoint(data: Tensor, scales: Tensor): Tensor | undefined {
  if (data.dtype !== DataType.UINT8) return undefined;
  return DenseTensor.fromTyped(DataType.UINT8, scales.dims, new Uint8Array(scales.size).fill(128));
}

function normalize(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
