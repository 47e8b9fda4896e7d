import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { Graph } from '../../ir/graph.js';
import { Node } from '../../ir/node.js';
import { float32Tensor, int64Tensor } from '../../ir/tensor/values.js';
import { formatType, type Dim } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { checkAgainstOrt } from '../../../test/helpers/ort-agreement.js';

const F = DataType.FLOAT;
const I64 = DataType.INT64;

/** Unsqueeze to [1] in the form the opset wants. */
function unsqueeze0(b: GraphBuilder, v: Value, opset: number): Value {
  return opset >= 13 ? b.op('Unsqueeze', [v, b.initializer('axes0', int64Tensor([1], [0]))]) : b.op('Unsqueeze', [v], { attributes: { axes: attr.ints([0]) } });
}

/** What PyTorch exports for `x.view(b, s, heads, -1).transpose(1, 2)` and back. */
function attentionReshapes(opset: number, xShape: Dim[]) {
  const b = new GraphBuilder(opset);
  const x = b.input('x', F, xShape);
  const shape = b.op('Shape', [x]);
  const batch = unsqueeze0(b, b.op('Gather', [shape, b.initializer('i0', int64Tensor([], [0]))]), opset);
  const seq = unsqueeze0(b, b.op('Gather', [shape, b.initializer('i1', int64Tensor([], [1]))]), opset);
  const hidden = b.op('Gather', [shape, b.initializer('i2', int64Tensor([], [2]))]);
  const headDim = unsqueeze0(b, b.op('Div', [hidden, b.initializer('heads', int64Tensor([], [4]))]), opset);
  const split = b.op('Concat', [batch, seq, b.initializer('h', int64Tensor([1], [4])), headDim], { attributes: { axis: attr.int(0) } });
  const heads = b.op('Transpose', [b.op('Reshape', [x, split])], { attributes: { perm: attr.ints([0, 2, 1, 3]) } });
  const back = b.op('Transpose', [heads], { attributes: { perm: attr.ints([0, 2, 1, 3]) } });
  const merged = b.op('Reshape', [back, b.op('Concat', [batch, seq, b.initializer('m1', int64Tensor([1], [-1]))], { attributes: { axis: attr.int(0) } })]);
  b.output(merged);
  return { model: b.model, heads, merged };
}

describe('known small tensors give static shapes (data propagation)', () => {
  for (const opset of [9, 11, 13, 17, 21]) {
    it(`Shape → Gather → Div → Unsqueeze → Concat → Reshape at opset ${opset}`, async () => {
      const { model, heads, merged } = attentionReshapes(opset, [2, 5, 64]);
      await checkAgainstOrt(model);
      expect(formatType(heads.type)).toBe('float32[2,4,5,16]');
      expect(formatType(merged.type)).toBe('float32[2,5,64]');
    });
  }

  it('carries symbolic dims through the shape arithmetic', async () => {
    const { model, heads, merged } = attentionReshapes(17, ['batch', 'seq', 64]);
    await checkAgainstOrt(model, { symbols: { batch: 3, seq: 7 } });
    expect(formatType(heads.type)).toBe('float32[batch,4,seq,16]');
    expect(formatType(merged.type)).toBe('float32[batch,seq,64]');
  });

  it('follows PyTorch expand: ConstantOfShape, Mul, Equal, Where, Expand', async () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', F, [1, 'seq', 1]);
    const target = b.op('Concat', [b.initializer('t0', int64Tensor([1], [4])), b.op('Slice', [b.op('Shape', [x]), b.initializer('s', int64Tensor([1], [1])), b.initializer('e', int64Tensor([1], [2]))]), b.initializer('t2', int64Tensor([1], [6]))], { attributes: { axis: attr.int(0) } });
    const ones = b.op('ConstantOfShape', [b.initializer('three', int64Tensor([1], [3]))], { attributes: { value: attr.tensor(int64Tensor([1], [1])) } });
    const minusOnes = b.op('Mul', [ones, b.initializer('neg', int64Tensor([], [-1]))]);
    const isMinus = b.op('Equal', [target, minusOnes]);
    const fixed = b.op('Where', [isMinus, ones, target]);
    const y = b.op('Expand', [x, fixed]);
    b.output(y);
    await checkAgainstOrt(b.model, { symbols: { seq: 5 } });
    expect(formatType(y.type)).toBe('float32[4,seq,6]');
  });

  it('computes Resize sizes from Shape × scale with Casts', async () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', F, [1, 3, 6, 8]);
    const shape = b.op('Shape', [x]);
    const hw = b.op('Slice', [shape, b.initializer('s', int64Tensor([1], [2])), b.initializer('e', int64Tensor([1], [4]))]);
    const scaled = b.op('Mul', [b.op('Cast', [hw], { attributes: { to: attr.int(F) } }), b.initializer('k', float32Tensor([], [1.5]))]);
    const sizes = b.op('Concat', [b.op('Slice', [shape, b.initializer('s0', int64Tensor([1], [0])), b.initializer('e0', int64Tensor([1], [2]))]), b.op('Cast', [b.op('Floor', [scaled])], { attributes: { to: attr.int(I64) } })], { attributes: { axis: attr.int(0) } });
    const y = b.op('Resize', [x, null, null, sizes], { attributes: { mode: attr.string('nearest') } });
    b.output(y);
    await checkAgainstOrt(b.model);
    expect(formatType(y.type)).toBe('float32[1,3,9,12]');
  });

  it('knows Range, Size, Squeeze and ReduceProd of shapes', async () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', F, [2, 3, 4]);
    const shape = b.op('Shape', [x]);
    const last = b.op('Squeeze', [b.op('Slice', [shape, b.initializer('s', int64Tensor([1], [-1])), b.initializer('e', int64Tensor([1], [1000]))]), b.initializer('ax', int64Tensor([1], [0]))]);
    const r = b.op('Range', [b.initializer('zero', int64Tensor([], [0])), last, b.initializer('one', int64Tensor([], [1]))]);
    const flat = b.op('ReduceProd', [b.op('Slice', [shape, b.initializer('s1', int64Tensor([1], [1])), b.initializer('e1', int64Tensor([1], [3]))])], { attributes: { keepdims: attr.int(1) } });
    const y = b.op('Reshape', [x, b.op('Concat', [b.initializer('m', int64Tensor([1], [-1])), flat], { attributes: { axis: attr.int(0) } })]);
    const size = b.op('Size', [x]);
    const z = b.op('Reshape', [x, unsqueeze0(b, size, 13)]);
    b.output(r);
    b.output(y);
    b.output(z);
    await checkAgainstOrt(b.model);
    expect([r, y, z].map((v) => formatType(v.type))).toEqual(['int64[4]', 'float32[2,12]', 'float32[24]']);
  });

  it('takes the If branch a known shape condition selects', async () => {
    const b = new GraphBuilder(16);
    const x = b.input('x', F, ['batch', 1, 'seq']);
    const dim1 = b.op('Gather', [b.op('Shape', [x]), b.initializer('one', int64Tensor([1], [1]))]);
    const isOne = b.op('Equal', [dim1, b.initializer('k1', int64Tensor([1], [1]))]);
    const thenBranch = new Graph('squeeze');
    const squeeze = new Node({ opType: 'Squeeze', name: 'sq', inputs: [x, b.initializer('ax', int64Tensor([1], [1]))], outputs: ['squeezed'] });
    thenBranch.appendNode(squeeze);
    thenBranch.outputs = [squeeze.output()];
    const elseBranch = new Graph('keep');
    const keep = new Node({ opType: 'Identity', name: 'keep', inputs: [x], outputs: ['kept'] });
    elseBranch.appendNode(keep);
    elseBranch.outputs = [keep.output()];
    const y = b.op('If', [isOne], { attributes: { then_branch: attr.graph(thenBranch), else_branch: attr.graph(elseBranch) } });
    b.output(y);
    await checkAgainstOrt(b.model, { symbols: { batch: 2, seq: 5 } });
    expect(formatType(y.type)).toBe('float32[batch,seq]');
  });

  it('splits known vectors (tf2onnx pads) and counts Range over a symbolic dim', async () => {
    const b = new GraphBuilder(11);
    const x = b.input('x', F, [1, 3, 4, 4]);
    const parts = b.node('Split', [b.initializer('pads', int64Tensor([8], [0, 0, 1, 2, 0, 0, 3, 4]))], { outputCount: 8, attributes: { split: attr.ints(new Array(8).fill(1)) } });
    const pads = b.op('Concat', parts, { attributes: { axis: attr.int(0) } });
    const padded = b.op('Pad', [x, pads]);
    const s = b.input('s', F, ['batch', 'seq']);
    const seq = b.op('Squeeze', [b.op('Slice', [b.op('Shape', [s]), b.initializer('st', int64Tensor([1], [1])), b.initializer('en', int64Tensor([1], [2]))])], { attributes: { axes: attr.ints([0]) } });
    const positions = b.op('Range', [b.initializer('zero', int64Tensor([], [0])), seq, b.initializer('step', int64Tensor([], [1]))]);
    b.output(padded);
    b.output(positions);
    await checkAgainstOrt(b.model, { symbols: { batch: 2, seq: 6 } });
    expect([formatType(padded.type), formatType(positions.type)]).toEqual(['float32[1,3,8,10]', 'int64[seq]']);
  });

  it('cancels copied dims of unknown size in Reshape', async () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', F, [null, 3, 4]);
    const y = b.op('Reshape', [x, b.initializer('t', int64Tensor([2], [0, -1]))]);
    const z = b.op('Concat', [x, x], { attributes: { axis: attr.int(1) } });
    b.output(y);
    b.output(z);
    await checkAgainstOrt(b.model);
    expect([formatType(y.type), formatType(z.type)]).toEqual(['float32[?,12]', 'float32[?,6,4]']);
  });
});
