import { DataType } from '../../ir/dtype.js';
import { Node } from '../../ir/node.js';
import { toFloat32 } from '../../ir/tensor/values.js';
import type { Value } from '../../ir/value.js';
import { replaceNode, soleReader } from './dead-code.js';
import type { FloatWeights } from './float-weights.js';

/**
 * lowbit's per-row int8 embedding table (dynamic, and weights-int8 with --gather; see
 * rules/gather-quantized.ts) becomes a Gather on the float32 table again:
 *
 *   Mul(Cast(Gather(q[V, D], ids), float), Gather(scales[V, 1], ids))  →  Gather(q · scales, ids)
 *
 * Each row's scale multiplies that row only, so dequantizing the table first is exact.
 */
export function undoRowScaledGather(mul: Node, weights: FloatWeights): boolean {
  if (mul.opType !== 'Mul' || mul.domain !== '') return false;
  const form = matchRowScaledGather(mul);
  if (!form) return false;
  const { table, column, ids, rowGather } = form;
  const q = table.constTensor()!;
  const [rows, width] = q.dims as [number, number];
  const key = ['row-scaled Gather', table.name, column.name].join('\u0000');
  const floatTable = weights.cached(key, table, [rows, width], () => {
    const codes = toFloat32(q);
    const scales = toFloat32(column.constTensor()!);
    const out = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) out[r * width + c] = codes[r * width + c]! * scales[r]!;
    return out;
  });
  // The rule named its row lookup after the original Gather ("<name>_Gather"): give the name back.
  const name = rowGather.name.replace(/_Gather$/, '');
  rowGather.name = '';
  replaceNode(mul, (out) => [new Node({ opType: 'Gather', name, inputs: [floatTable, ids], outputs: [out] })]);
  return true;
}

interface RowScaledGather {
  table: Value;
  column: Value;
  ids: Value;
  rowGather: Node;
}

function matchRowScaledGather(mul: Node): RowScaledGather | undefined {
  for (const [castSide, scaleSide] of [[0, 1], [1, 0]] as const) {
    const cast = mul.input(castSide)?.producer();
    const scaleGather = mul.input(scaleSide)?.producer();
    if (cast?.opType !== 'Cast' || cast.attrInt('to') !== DataType.FLOAT || scaleGather?.opType !== 'Gather') continue;
    const rowGather = cast.input(0)?.producer();
    if (rowGather?.opType !== 'Gather' || rowGather.attrInt('axis', 0) !== 0 || scaleGather.attrInt('axis', 0) !== 0) continue;
    const table = rowGather.input(0)!;
    const column = scaleGather.input(0)!;
    const ids = rowGather.input(1)!;
    const q = table.constTensor();
    const s = column.constTensor();
    if (!q || !s || (q.dtype !== DataType.INT8 && q.dtype !== DataType.UINT8) || q.dims.length !== 2 || s.dtype !== DataType.FLOAT) continue;
    if (s.dims.length !== 2 || s.dims[0] !== q.dims[0] || s.dims[1] !== 1 || scaleGather.input(1) !== ids) continue;
    if (soleReader(cast.output()) !== mul || soleReader(rowGather.output()) !== cast || soleReader(scaleGather.output()) !== mul) continue;
    return { table, column, ids, rowGather };
  }
  return undefined;
}
