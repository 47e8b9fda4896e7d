import { DataType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/types.js';
import type { InferContext, TypeRule } from './context.js';
import { sameAs, tensorOf, tryShape } from './common.js';
import { convRules } from './conv.js';
import { linalgRules, matmulShape } from './linalg.js';
import { layerNormalization } from './norms.js';

// Fused operators of ONNX Runtime's com.microsoft domain that transformer optimizers and
// quantizers emit. Only the outputs whose shapes are plain are typed with a shape.

/** FusedMatMul: MatMul with optional transposes of the last two dims of either operand. */
function fusedMatMulShape(ctx: InferContext): Dim[] | undefined {
  const swapLast = (s: Dim[] | undefined, on: boolean) => (s && on && s.length >= 2 ? [...s.slice(0, -2), s[s.length - 1]!, s[s.length - 2]!] : s);
  if (ctx.int('transBatchA', 0) || ctx.int('transBatchB', 0)) return undefined;
  return matmulShape(swapLast(ctx.shape(0), ctx.int('transA', 0) === 1), swapLast(ctx.shape(1), ctx.int('transB', 0) === 1));
}

/** SkipLayerNormalization and its simplified form: output, mean, inv_std_var, input+skip+bias. */
const skipLayerNorm: TypeRule = (ctx) => {
  const x = tensorOf(ctx.dtype(0), ctx.shape(0));
  const stats = ctx.shape(0)?.map((d, i, all) => (i === all.length - 1 ? 1 : d));
  return [x, tensorOf(DataType.FLOAT, stats), tensorOf(DataType.FLOAT, stats), x];
};

/** Attention: [batch, sequence, hidden of V], hidden from qkv_hidden_sizes or the packed weights. */
const attention: TypeRule = (ctx) => {
  const x = ctx.shape(0);
  const sizes = ctx.ints('qkv_hidden_sizes');
  const packed = ctx.shape(1)?.[1];
  const hidden: Dim = sizes ? sizes[2]! : typeof packed === 'number' ? packed / 3 : null;
  return [tensorOf(ctx.dtype(0), x?.length === 3 ? [x[0]!, x[1]!, hidden] : undefined)];
};

/** MultiHeadAttention with separate 3-D query, key and value: [batch, sequence, hidden of V]. */
const multiHeadAttention: TypeRule = (ctx) => {
  const q = ctx.shape(0);
  const v = ctx.shape(2);
  const shape = q?.length === 3 && v?.length === 3 ? [q[0]!, q[1]!, v[2]!] : undefined;
  return [tensorOf(ctx.dtype(0), shape)];
};

/** GroupQueryAttention's output has num_heads × head_size; a packed query holds Q, K and V. */
const groupQueryAttention: TypeRule = (ctx) => {
  const q = ctx.shape(0);
  const heads = ctx.int('num_heads', 0);
  const kvHeads = ctx.int('kv_num_heads', 0);
  const shape = tryShape(() => {
    if (!q || q.length !== 3) return undefined;
    if (ctx.has(1)) return [...q];
    const d = q[2];
    return [q[0]!, q[1]!, typeof d === 'number' && heads ? (d / (heads + 2 * kvHeads)) * heads : null];
  });
  return [tensorOf(ctx.dtype(0), shape)];
};

/** EmbedLayerNormalization: [batch, sequence, hidden], an int32 mask index per batch, the sum. */
const embedLayerNormalization: TypeRule = (ctx) => {
  const ids = ctx.shape(0);
  const hidden = ctx.shape(2)?.[1] ?? null;
  const dtype = ctx.dtype(2);
  const out = ids?.length === 2 ? [ids[0]!, ids[1]!, hidden] : undefined;
  return [tensorOf(dtype, out), tensorOf(DataType.INT32, ids ? [ids[0]!] : undefined), tensorOf(dtype, out)];
};

const biasSplitGelu: TypeRule = (ctx) => {
  const x = ctx.shape(0);
  const last = x?.[x.length - 1];
  return [tensorOf(ctx.dtype(0), x && [...x.slice(0, -1), typeof last === 'number' ? last / 2 : null])];
};

export const contribRules: Record<string, TypeRule> = {
  FusedConv: convRules.Conv!,
  FusedGemm: linalgRules.Gemm!,
  FusedMatMul: (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => fusedMatMulShape(ctx)))],
  Gelu: sameAs(0),
  FastGelu: sameAs(0),
  BiasGelu: sameAs(0),
  QuickGelu: sameAs(0),
  BiasAdd: sameAs(0),
  BiasSoftmax: sameAs(0),
  BiasDropout: (ctx) => [tensorOf(ctx.dtype(0), ctx.shape(0)), tensorOf(DataType.BOOL, ctx.shape(0))],
  RotaryEmbedding: sameAs(0),
  Inverse: sameAs(0),
  Trilu: sameAs(0),
  SkipLayerNormalization: skipLayerNorm,
  SkipSimplifiedLayerNormalization: skipLayerNorm,
  SimplifiedLayerNormalization: layerNormalization,
  LayerNormalization: layerNormalization,
  Attention: attention,
  MultiHeadAttention: multiHeadAttention,
  GroupQueryAttention: groupQueryAttention,
  EmbedLayerNormalization: embedLayerNormalization,
  BiasSplitGelu: biasSplitGelu,
};
