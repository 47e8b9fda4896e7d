import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { float32Tensor, int64Tensor } from '../../ir/tensor/values.js';
import { formatType } from '../../ir/types.js';
import { checkAgainstOrt } from '../../../test/helpers/ort-agreement.js';

const F = DataType.FLOAT;
const MS = 'com.microsoft';
const weights = (dims: number[]) => float32Tensor(dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(0.02));

describe('casts, constants, sequences and fused operators agree with onnxruntime', () => {
  for (const opset of [9, 11, 13, 17, 21]) {
    it(`casts and constants at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const x = b.input('x', F, [2, 3]);
      const asInt = b.op('Cast', [x], { attributes: { to: attr.int(DataType.INT32) } });
      b.op('Cast', [asInt], { attributes: { to: attr.int(DataType.FLOAT16) } });
      b.op('Cast', [x], { attributes: { to: attr.int(DataType.BOOL) } });
      if (opset >= 15) b.op('CastLike', [x, b.initializer('like', int64Tensor([], [0]))]);
      b.op('Constant', [], { attributes: { value: attr.tensor(int64Tensor([2, 2], [1, 2, 3, 4])) } });
      if (opset >= 12) {
        b.op('Constant', [], { attributes: { value_ints: attr.ints([1, 2, 3]) } });
        b.op('Constant', [], { attributes: { value_float: attr.float(0.5) } });
      }
      b.op('Identity', [x]);
      await checkAgainstOrt(b.model);
    });
  }

  it('sequences and optionals', async () => {
    const b = new GraphBuilder(18);
    const x = b.input('x', F, [2, 3]);
    const seq = b.op('SequenceConstruct', [x, x]);
    const at = b.op('SequenceAt', [seq, b.initializer('i', int64Tensor([], [1]))]);
    const length = b.op('SequenceLength', [seq]);
    const split = b.op('SplitToSequence', [x], { attributes: { axis: attr.int(1) } });
    const joined = b.op('ConcatFromSequence', [split], { attributes: { axis: attr.int(1) } });
    const opt = b.op('Optional', [x]);
    const has = b.op('OptionalHasElement', [opt]);
    const got = b.op('OptionalGetElement', [opt]);
    for (const v of [at, length, has, got]) b.output(v);
    await checkAgainstOrt(b.model, { allowDynamic: [joined.name] });
    expect([seq, at, length, joined, opt].map((v) => formatType(v.type))).toEqual([
      'seq(float32[2,3])', 'float32[2,3]', 'int64[]', 'float32[?]', 'optional(float32[2,3])',
    ]);
  });

  it('com.microsoft fused transformer operators', async () => {
    const b = new GraphBuilder(17, { [MS]: 1 });
    const x = b.input('x', F, [2, 5, 16]);
    const w = (name: string, dims: number[]) => b.initializer(name, weights(dims));
    b.op('Gelu', [x], { domain: MS });
    b.op('FastGelu', [x, w('fb', [16])], { domain: MS });
    b.op('BiasGelu', [x, w('bb', [16])], { domain: MS });
    b.op('QuickGelu', [x], { domain: MS, attributes: { alpha: attr.float(1.702) } });
    b.node('SkipLayerNormalization', [x, b.input('skip', F, [2, 5, 16]), w('g', [16]), w('beta', [16])], { domain: MS, outputCount: 4 });
    b.node('SkipSimplifiedLayerNormalization', [x, b.input('skip2', F, [2, 5, 16]), w('g2', [16])], { domain: MS, outputCount: 4 });
    b.op('SimplifiedLayerNormalization', [x, w('g3', [16])], { attributes: { axis: attr.int(-1) } });
    b.op('FusedMatMul', [x, w('fm', [8, 16])], { domain: MS, attributes: { transB: attr.int(1), alpha: attr.float(0.5) } });
    b.op('FusedGemm', [b.input('ga', F, [3, 4]), w('gb', [4, 6])], { domain: MS, attributes: { activation: attr.string('Relu') } });
    b.op('FusedConv', [b.input('img', F, [1, 2, 6, 6]), w('cw', [3, 2, 3, 3])], { domain: MS, attributes: { activation: attr.string('Relu') } });
    b.op('Attention', [x, w('qkv', [16, 48]), w('qkvb', [48])], { domain: MS, attributes: { num_heads: attr.int(4) } });
    b.op('MultiHeadAttention', [x, b.input('k', F, [2, 7, 16]), b.input('v', F, [2, 7, 16])], { domain: MS, attributes: { num_heads: attr.int(4) } });
    b.op('RotaryEmbedding', [x, b.initializer('pos', int64Tensor([2, 5], [0, 1, 2, 3, 4, 0, 1, 2, 3, 4])), w('cos', [8, 2]), w('sin', [8, 2])], {
      domain: MS,
      attributes: { num_heads: attr.int(4) },
    });
    b.node('EmbedLayerNormalization', [b.input('ids', DataType.INT32, [2, 5]), b.input('seg', DataType.INT32, [2, 5]), w('we', [10, 16]), w('pe', [8, 16]), w('se', [2, 16]), w('eg', [16]), w('eb', [16])], {
      domain: MS,
      outputCount: 2,
    });
    b.op('Inverse', [b.initializer('inv', float32Tensor([2, 2], [2, 0, 0, 2]))], { domain: MS });
    await checkAgainstOrt(b.model, { feeds: {} });
  });
});
