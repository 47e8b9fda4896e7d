import { Node } from '../../ir/node.js';
import { isTensorType } from '../../ir/types.js';
import { removeIfDead, soleReader } from './dead-code.js';
import { constantDequantize, constantParams, type FloatWeights } from './float-weights.js';

/**
 * DequantizeLinear of a constant becomes a float32 constant: the DequantizeLinear's output is
 * read from a float32 initializer instead (weight-only and QDQ weights).
 */
export function foldConstantDequantize(node: Node, weights: FloatWeights): boolean {
  if (!isDequantize(node)) return false;
  const q = constantDequantize(node);
  const out = node.output();
  if (!q || out.isGraphOutput()) return false;
  out.replaceAllUsesWith(weights.get(q), { graphOutputs: false });
  removeIfDead(node);
  return true;
}

/**
 * Gather on an integer table followed by DequantizeLinear (onnxruntime's quantized embeddings:
 * a uint8 table with one scale) becomes Gather on the float32 table. Dequantizing the table first
 * is exact when the scale is per tensor, or per axis along a table axis the Gather keeps.
 */
export function dequantizeGatherTable(dq: Node, weights: FloatWeights): boolean {
  if (!isDequantize(dq)) return false;
  const gathered = dq.input(0);
  const gather = gathered?.producer();
  if (!gathered || !gather || gather.opType !== 'Gather' || gather.domain !== '' || soleReader(gathered) !== dq) return false;
  const table = gather.input(0)!;
  const tableTensor = table.constTensor();
  const indices = gather.input(1)!;
  if (!tableTensor || !isTensorType(indices.type) || !indices.type.shape) return false;
  const gatherAxis = normalize(gather.attrInt('axis', 0), tableTensor.dims.length);
  const tableAxis = tableAxisOf(normalize(dq.attrInt('axis', 1), tableTensor.dims.length + indices.type.shape.length - 1), gatherAxis, indices.type.shape.length);
  const q = constantParams(table, dq.input(1), dq.input(2), tableAxis ?? -1);
  if (!q || (q.params.scale.size > 1 && tableAxis === undefined) || dq.attrInt('block_size', 0) !== 0) return false;
  const out = dq.output();
  dq.setOutput(0, null);
  const floatGather = new Node({ opType: 'Gather', name: gather.name, inputs: [weights.get(q), indices], outputs: [out], attributes: { axis: gather.getAttr('axis') } });
  dq.graph!.insertBefore(dq, floatGather);
  gather.name = '';
  removeIfDead(dq);
  return true;
}

function isDequantize(node: Node): boolean {
  return node.opType === 'DequantizeLinear' && node.domain === '';
}

function normalize(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** The table axis that output axis `outAxis` of a Gather comes from, or undefined for index axes. */
function tableAxisOf(outAxis: number, gatherAxis: number, indexRank: number): number | undefined {
  if (outAxis < gatherAxis) return outAxis;
  if (outAxis >= gatherAxis + indexRank) return outAxis - indexRank + 1;
  return undefined;
}
