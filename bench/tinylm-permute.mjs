// tinylm with its hidden units renumbered: the same function in fp32, other int4 blocks.
//
// Why: int4 blocks group consecutive rows of a weight (along K, the input dimension). Which rows
// share a block is an accident of how training happened to number the hidden units; number them
// otherwise and the float model computes exactly the same function (up to float summation order),
// yet every block holds other weights and every rounding comes out differently. A quantization
// method's bits per byte on one numbering is therefore one draw; over several numberings it is a
// distribution, and a method is better than another when it is better across numberings, not on
// the one training left behind. This is the "lucky seed" that a method without randomness still has.
import { decodeModel, encodeModel, float32Tensor, toFloat32 } from '../dist/index.js';
import { seededRandom } from '../dist/util/random.js';

/** tinylm's attention heads (its README: width 192, 3 heads); a wrong figure fails `checkSameFunction`. */
const HEADS = 3;

/**
 * `bytes` (tinylm's model.onnx) with three renumberings drawn from `seed`:
 * - the residual stream's units (embedding columns, LayerNorm parameters, the rows of every MatMul
 *   that reads the stream, the columns and biases of those that write to it);
 * - each block's MLP units (fc's columns and bias, out's rows);
 * - each block's attention: the heads' order, and within a head the query/key units (one order for
 *   both, so q·k is unchanged) and the value units (with proj's rows).
 */
export function permutedTinylm(bytes, seed) {
  const model = decodeModel(bytes);
  const graph = model.graph;
  const random = seededRandom(seed);
  const weightOf = (nodeName) => {
    const node = [...graph.nodes].find((n) => n.name === nodeName);
    if (!node) throw new Error(`tinylm has no node '${nodeName}': permutedTinylm knows tinylm's graph only`);
    return node.input(1).name;
  };
  const tensor = (name) => {
    const value = graph.initializers.get(name);
    if (!value?.initializer) throw new Error(`tinylm has no initializer '${name}'`);
    return value;
  };
  const width = tensor('tok.weight').initializer.dims[1];
  const residual = shuffled(width, random);
  const edit = (name, rowOrder, columnOrder) => {
    const value = tensor(name);
    value.initializer = reordered(value.initializer, rowOrder, columnOrder);
  };

  edit('tok.weight', undefined, residual);
  edit('pos.weight', undefined, residual);
  edit('ln.weight', residual);
  edit('ln.bias', residual);
  edit(weightOf('/head/MatMul'), residual);
  for (let b = 0; graph.initializers.has(`blocks.${b}.ln1.weight`); b++) {
    for (const p of ['ln1.weight', 'ln1.bias', 'ln2.weight', 'ln2.bias', 'proj.bias', 'out.bias']) edit(`blocks.${b}.${p}`, residual);
    const qkv = weightOf(`/blocks.${b}/qkv/MatMul`);
    const attention = attentionOrder(width, random);
    edit(qkv, residual, attention.qkv);
    edit(`blocks.${b}.qkv.bias`, attention.qkv);
    edit(weightOf(`/blocks.${b}/proj/MatMul`), attention.values, residual);
    const fc = weightOf(`/blocks.${b}/fc/MatMul`);
    const hidden = shuffled(tensor(fc).initializer.dims[1], random);
    edit(fc, residual, hidden);
    edit(`blocks.${b}.fc.bias`, hidden);
    edit(weightOf(`/blocks.${b}/out/MatMul`), hidden, residual);
  }
  return encodeModel(model);
}

/**
 * The column order of qkv ([q | k | v], each `width` wide, head h at h·d … h·d + d − 1) and the row
 * order of proj (the heads' value units, concatenated): heads in a new order, and within each head
 * one order for q and k, another for v.
 */
function attentionOrder(width, random) {
  const d = width / HEADS;
  const heads = shuffled(HEADS, random);
  const qk = [];
  const values = [];
  for (let h = 0; h < HEADS; h++) {
    const within = shuffled(d, random);
    const withinV = shuffled(d, random);
    for (let i = 0; i < d; i++) {
      qk.push(heads[h] * d + within[i]);
      values.push(heads[h] * d + withinV[i]);
    }
  }
  return { qkv: [...qk, ...qk.map((i) => width + i), ...values.map((i) => 2 * width + i)], values };
}

/** Entry i of the result is entry order[i] of the input (rows and/or columns of a 1-D or 2-D tensor). */
function reordered(tensor, rowOrder, columnOrder) {
  const data = toFloat32(tensor);
  const [rows, columns = 1] = tensor.dims;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const from = rowOrder ? rowOrder[r] : r;
    for (let c = 0; c < columns; c++) out[r * columns + c] = data[from * columns + (columnOrder ? columnOrder[c] : c)];
  }
  return float32Tensor(tensor.dims, out);
}

/** 0 … n − 1 in a random order (Fisher–Yates). */
function shuffled(n, random) {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
