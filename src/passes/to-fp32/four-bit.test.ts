// `convert --to fp32` on lowbit's own 4-bit outputs: MatMulNBits, opset-21 blocked int4/uint4
// DequantizeLinear and GatherBlockQuantized become MatMul and Gather on float32 weights. The
// expected weights are decoded here from the quantized model's bytes, apart from the library's
// unpacking; the two models are then run in onnxruntime-node, and the float model must quantize again.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { halfArrayToFloat32 } from '../../ir/tensor/float16.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import type { Value } from '../../ir/value.js';
import { float32Tensor } from '../../ir/tensor/values.js';
import { quantizeInt4Rtn } from '../../quant/int4-blocks.js';
import { toMatMulNBits } from '../../quant/int4-layout.js';
import { quantize } from '../../quantize/quantize.js';
import type { QuantizeOptions } from '../../quantize/options.js';
import type { Feeds } from '../../runner/runner.js';
import { readModelFile } from '../../node/model-files.js';
import { decodeModel } from '../../serde/decode.js';
import { encodeModel } from '../../serde/encode.js';
import { randomFloats } from '../../../test/helpers/ort.js';
import { absentReason, skipWithReason } from '../../../test/helpers/corpus.js';
import { checkerErrors, maxRelativeDiff, opSequence, run } from '../../../test/helpers/fidelity.js';
import { convertToFloat32 } from './convert-to-float32.js';

const F = DataType.FLOAT;
const VOCAB = 40;
const FOUR_BIT_OPS = new Set(['MatMulNBits', 'GatherBlockQuantized', 'DequantizeLinear', 'QuantizeLinear']);

const copy = (model: Model) => decodeModel(encodeModel(model));

/**
 * ids → Gather 'embed' (table [40, 64]) → MatMul 'up' [64, 48] → Relu → MatMul 'head' [48, 24]:
 * 'head' has K = 48, so blocks of 32 leave a partial last block and blocks of 16 an odd count.
 */
function floatModel(): Model {
  const b = new GraphBuilder(17);
  const ids = b.input('ids', DataType.INT64, ['batch', 'seq']);
  const h = b.op('Gather', [b.initializer('embedding', float32Tensor([VOCAB, 64], randomFloats(VOCAB * 64, 1, 0.5))), ids], { name: 'embed' });
  const up = b.op('MatMul', [h, b.initializer('up_w', float32Tensor([64, 48], randomFloats(64 * 48, 2, 0.2)))], { name: 'up' });
  const head = b.op('MatMul', [b.op('Relu', [up]), b.initializer('head_w', float32Tensor([48, 24], randomFloats(48 * 24, 3, 0.2)))], { name: 'head' });
  b.output(head, F, ['batch', 'seq', 24]);
  return b.model;
}

const ids: Feeds = { ids: { dtype: DataType.INT64, dims: [2, 6], data: BigInt64Array.from([0, 3, 39, 7, 7, 12, 21, 1, 30, 5, 18, 2].map(BigInt)) } };

async function firstOutput(model: Model, feeds: Feeds): Promise<Float32Array> {
  return Object.values(await run(model, feeds))[0]!.data as Float32Array;
}

// --- the dequantized weights, decoded from the bytes as the op specs define them ---------------

function floats(t: Tensor): Float32Array {
  if (t.dtype === DataType.FLOAT16) return halfArrayToFloat32((t as DenseTensor).typed() as Uint16Array);
  return Float32Array.from((t as DenseTensor).typed() as Float32Array);
}

/** Element i of a 4-bit tensor (low nibble first), signed for INT4. */
function nibble(bytes: Uint8Array, i: number, signed = false): number {
  const v = (bytes[i >> 1]! >> ((i & 1) * 4)) & 15;
  return signed && v > 7 ? v - 16 : v;
}

const tensorOf = (node: Node, i: number) => node.input(i)?.constTensor();

/** MatMulNBits: B [N, kBlocks, block/2] per column along K; zero 8, packed uint8, or float. */
function nbitsWeight(node: Node): Float32Array {
  const [k, n, block] = [node.attrInt('K')!, node.attrInt('N')!, node.attrInt('block_size')!];
  const kBlocks = Math.ceil(k / block);
  const b = tensorOf(node, 1)!.bytes();
  const scales = floats(tensorOf(node, 2)!);
  const zp = tensorOf(node, 3);
  const out = new Float32Array(k * n);
  for (let c = 0; c < n; c++) {
    for (let r = 0; r < k; r++) {
      const j = Math.floor(r / block);
      const code = nibble(b, c * kBlocks * block + r);
      const zero = !zp ? 8 : zp.dtype === DataType.UINT8 ? nibble(zp.bytes(), c * 2 * Math.ceil(kBlocks / 2) + j) : floats(zp)[c * kBlocks + j]!;
      out[r * n + c] = Math.fround((code - zero) * scales[c * kBlocks + j]!);
    }
  }
  return out;
}

/** Blocked DequantizeLinear(axis 0) of an int4/uint4 [K, N]: scales and zero points [kBlocks, N]. */
function qdqWeight(dq: Node): Float32Array {
  const x = tensorOf(dq, 0)!;
  const [k, n] = x.dims as [number, number];
  const block = dq.attrInt('block_size')!;
  const scales = floats(tensorOf(dq, 1)!);
  const zp = tensorOf(dq, 2);
  const out = new Float32Array(k * n);
  for (let i = 0; i < k * n; i++) {
    const s = Math.floor(i / n / block) * n + (i % n);
    out[i] = Math.fround((nibble(x.bytes(), i, x.dtype === DataType.INT4) - (zp ? nibble(zp.bytes(), s) : 0)) * scales[s]!);
  }
  return out;
}

/** GatherBlockQuantized (quantize_axis 1): int4/uint4 (zero 0) or uint8 (zero 128) [V, D], scales [V, kBlocks]. */
function gbqTable(node: Node): Float32Array {
  const data = tensorOf(node, 0)!;
  const [v, d] = data.dims as [number, number];
  const block = node.attrInt('block_size')!;
  const kBlocks = Math.ceil(d / block);
  const scales = floats(tensorOf(node, 2)!);
  const zp = tensorOf(node, 3);
  const eight = data.dtype === DataType.UINT8;
  const value = (t: Tensor, i: number) => (eight ? t.bytes()[i]! : nibble(t.bytes(), i, t.dtype === DataType.INT4));
  const out = new Float32Array(v * d);
  for (let i = 0; i < v * d; i++) {
    const s = Math.floor(i / d) * kBlocks + Math.floor((i % d) / block);
    out[i] = Math.fround((value(data, i) - (zp ? value(zp, s) : eight ? 128 : 0)) * scales[s]!);
  }
  return out;
}

/** The float32 initializers the quantized ops compute with, by the name of the node that reads them. */
function expectedWeights(quantized: Model): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const node of quantized.graph.nodes) {
    if (node.opType === 'MatMulNBits') out.set(node.name, nbitsWeight(node));
    if (node.opType === 'GatherBlockQuantized') out.set(node.name, gbqTable(node));
    if (node.opType === 'MatMul' && node.input(1)?.producer()?.opType === 'DequantizeLinear') out.set(node.name, qdqWeight(node.input(1)!.producer()!));
  }
  return out;
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

// --- quantize → convert → compare ----------------------------------------------------------------

interface Case {
  label: string;
  options: QuantizeOptions;
  /** q4f16: the model goes to fp16 first, so activations, scales (and float zero points) are float16. */
  fp16?: boolean;
}

const cases: Case[] = [
  { label: 'nbits, symmetric, block 32, gather-bits 4 (int4 table)', options: { mode: 'int4', blockSize: 32, gatherBits: 4, accuracyLevel: 0 } },
  { label: 'nbits, asymmetric, block 16 (packed uint4 zero points, odd block count), gather-bits 8', options: { mode: 'int4', blockSize: 16, symmetric: false, gatherBits: 8, accuracyLevel: 0 } },
  { label: 'nbits, hqq asymmetric (float zero points), block 32, gather-bits 4 (uint4 table)', options: { mode: 'int4', int4Method: 'hqq', symmetric: false, blockSize: 32, gatherBits: 4, accuracyLevel: 0 } },
  { label: 'q4f16 nbits, asymmetric, block 32 (float16 scales), gather-bits 4', options: { mode: 'int4', symmetric: false, blockSize: 32, gatherBits: 4, accuracyLevel: 0 }, fp16: true },
  { label: 'q4f16 nbits, hqq (float16 zero points), block 16', options: { mode: 'int4', int4Method: 'hqq', symmetric: false, blockSize: 16, accuracyLevel: 0 }, fp16: true },
  // qdq is standard ONNX only: no GatherBlockQuantized tables (quantize refuses gatherBits with it).
  { label: 'qdq, symmetric (int4), block 32', options: { mode: 'int4', int4Format: 'qdq', blockSize: 32 } },
  { label: 'qdq, asymmetric (uint4 + zero points), block 16', options: { mode: 'int4', int4Format: 'qdq', symmetric: false, blockSize: 16 } },
  { label: 'q4f16 qdq, symmetric, block 16', options: { mode: 'int4', int4Format: 'qdq', blockSize: 16 }, fp16: true },
];

async function sourceModel(c: Case): Promise<Model> {
  const model = floatModel();
  if (c.fp16) await quantize(model, { mode: 'fp16' });
  return copy(model);
}

describe('convertToFloat32 on lowbit int4 outputs', () => {
  for (const c of cases) {
    it(c.label, async () => {
      const quantized = copy((await quantize(await sourceModel(c), c.options)).model);
      const nbits = c.options.int4Format !== 'qdq';
      const ops = opSequence(quantized);
      expect(ops.filter((op) => op === (nbits ? 'MatMulNBits' : 'DequantizeLinear'))).toHaveLength(2);
      expect(ops.includes('GatherBlockQuantized')).toBe(c.options.gatherBits !== undefined);

      const { model, notes } = convertToFloat32(copy(quantized));
      expect(checkerErrors(model)).toEqual([]);
      // (a) Nothing quantized is left, and no float16: the plain float graph with the first names.
      expect(notes.filter((d) => d.severity !== 'info')).toEqual([]);
      expect(opSequence(model)).toEqual(['Gather', 'MatMul', 'Relu', 'MatMul']);
      expect([...model.graph.allNodes()].filter((n) => FOUR_BIT_OPS.has(n.opType))).toEqual([]);
      expect([...model.graph.initializers.values()].map((v) => [v.name, v.initializer!.dtype]).sort()).toEqual([
        ['embedding', F],
        ['head_w', F],
        ['up_w', F],
      ]);
      const undone = notes.filter((d) => d.code === 'fp32-undone').map((d) => d.reason);
      expect(undone).toContain(nbits ? '2× MatMulNBits → MatMul' : '2× DequantizeLinear of a constant folded');
      if (c.options.gatherBits) expect(undone).toContain('1× GatherBlockQuantized → Gather');

      // (b) Bit for bit the weights the 4-bit ops compute with.
      const expected = expectedWeights(quantized);
      expect([...expected.keys()].sort()).toEqual(['head', 'up', ...(c.options.gatherBits ? ['embed'] : [])].sort());
      for (const node of model.graph.nodes) {
        const want = expected.get(node.name);
        if (!want) continue;
        const got = (node.opType === 'Gather' ? node.input(0) : node.input(1))!.initializer as DenseTensor;
        expect(got.dims).toEqual(node.opType === 'Gather' ? [VOCAB, 64] : node.name === 'up' ? [64, 48] : [48, 24]);
        expect(bits(got.typed() as Float32Array).equals(bits(want)), `${node.name}'s weight`).toBe(true);
      }

      // (c) The same outputs in onnxruntime. float32: at most the order of the sums differs (0 to
      // 3e-7 measured). float16: the q4f16 model rounds its activations to float16 (2⁻¹¹ relative)
      // on the way, which the float32 model no longer does (3e-4 to 4.3e-4 measured).
      const reference = await firstOutput(quantized, ids);
      const converted = await firstOutput(model, ids);
      expect(maxRelativeDiff(converted, reference)).toBeLessThan(c.fp16 ? 2e-3 : 1e-5);

      // (d) The float model quantizes again, to the same form.
      const again = await quantize(copy(model), c.options);
      expect(again.quantized).toBe(c.options.gatherBits ? 3 : 2);
      expect(opSequence(again.model).filter((op) => FOUR_BIT_OPS.has(op)).sort()).toEqual(ops.filter((op) => FOUR_BIT_OPS.has(op)).sort());
    });
  }

  it('round to nearest, symmetric: quantizing the converted model gives back the same bytes', async () => {
    const options: QuantizeOptions = { mode: 'int4', blockSize: 32, gatherBits: 4 };
    const first = copy((await quantize(floatModel(), options)).model);
    const second = copy((await quantize(copy(convertToFloat32(copy(first)).model), options)).model);
    const bytesOf = (m: Model) => Object.fromEntries([...m.graph.initializers.values()].map((v) => [v.name, Buffer.from(v.initializer!.bytes()).toString('base64')]));
    expect(bytesOf(second)).toEqual(bytesOf(first));
  });
});

// --- MatMulNBits inputs lowbit does not write: bias, g_idx, 8 bits -------------------------------

/** x [3, K] → MatMulNBits 'fc' [K, 16] (packed zero points unless symmetric; the inputs after them as given) → y. */
function nbitsModel(k: number, blockSize: number, extra: (b: GraphBuilder) => (Value | null)[], { nbits = 4, symmetric = false }: { nbits?: 4 | 8; symmetric?: boolean } = {}): Model {
  const n = 16;
  const blocks = quantizeInt4Rtn(randomFloats(k * n, 9, 0.3), { k, n, blockSize, symmetric, bits: nbits });
  const packed = toMatMulNBits(blocks);
  const kBlocks = Math.ceil(k / blockSize);
  const b = new GraphBuilder(17, { 'com.microsoft': 1 });
  const x = b.input('x', F, [3, k]);
  const inputs = [
    x,
    b.initializer('fc_w_Q4', DenseTensor.fromTyped(DataType.UINT8, [n, kBlocks, (blockSize * nbits) / 8], packed.b)),
    b.initializer('fc_scales', float32Tensor([n, kBlocks], packed.scales)),
    symmetric ? null : b.initializer('fc_zero_points', DenseTensor.fromTyped(DataType.UINT8, [n, Math.ceil((kBlocks * nbits) / 8)], packed.zeroPoints as Uint8Array)),
    ...extra(b),
  ];
  const attributes = { K: attr.int(k), N: attr.int(n), bits: attr.int(nbits), block_size: attr.int(blockSize), accuracy_level: attr.int(0) };
  b.output(b.op('MatMulNBits', inputs, { domain: 'com.microsoft', name: 'fc', outputs: ['y'], attributes }), F, [3, n]);
  return b.model;
}

const xFeeds = (k: number): Feeds => ({ x: { dtype: F, dims: [3, k], data: randomFloats(3 * k, 4) } });

describe('convertToFloat32 on MatMulNBits inputs lowbit does not write', () => {
  const k = 40;
  const gIdx = (b: GraphBuilder) => b.initializer('fc_g_idx', DenseTensor.fromTyped(DataType.INT32, [k], Int32Array.from({ length: k }, (_, i) => Math.floor(i / 16))));

  it('a bias (input 5) becomes an Add after the MatMul; a g_idx in plain block order (input 4) is dropped', async () => {
    for (const withGIdx of [false, true]) {
      // onnxruntime ignores packed zero points when there is a g_idx (next test): symmetric then.
      const source = nbitsModel(k, 16, (b) => [withGIdx ? gIdx(b) : null, b.initializer('fc_bias', float32Tensor([16], randomFloats(16, 5)))], { symmetric: withGIdx });
      const { model, notes } = convertToFloat32(copy(source));
      expect(checkerErrors(model)).toEqual([]);
      expect(notes.filter((d) => d.severity !== 'info')).toEqual([]);
      expect(opSequence(model)).toEqual(['MatMul', 'Add']);
      expect(model.graph.nodes.first()!.name).toBe('fc');
      expect(model.graph.outputs.map((v) => v.name)).toEqual(['y']);
      expect([...model.graph.initializers.keys()].sort()).toEqual(['fc_bias', 'fc_w']);
      expect(notes.find((d) => d.code === 'fp32-undone')?.reason).toBe('1× MatMulNBits → MatMul');
      expect(maxRelativeDiff(await firstOutput(model, xFeeds(k)), await firstOutput(source, xFeeds(k)))).toBeLessThan(1e-5);
    }
  });

  it('8 bits: B one code per byte, uint8 zero points', async () => {
    const source = nbitsModel(64, 32, () => [], { nbits: 8 });
    const { model, notes } = convertToFloat32(copy(source));
    expect(notes.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(opSequence(model)).toEqual(['MatMul']);
    const want = expectedWeights8(source.graph.nodes.first()!);
    expect(bits((model.graph.nodes.first()!.input(1)!.initializer as DenseTensor).typed() as Float32Array).equals(bits(want))).toBe(true);
    expect(maxRelativeDiff(await firstOutput(model, xFeeds(64)), await firstOutput(source, xFeeds(64)))).toBeLessThan(1e-5);
  });

  it('a g_idx out of block order (act-order GPTQ), or beside packed zero points, is refused with a warning that says why; the node stays', () => {
    const shuffled = (b: GraphBuilder) => b.initializer('fc_g_idx', DenseTensor.fromTyped(DataType.INT32, [k], Int32Array.from({ length: k }, (_, i) => i % 3)));
    for (const [source, why] of [
      [nbitsModel(k, 16, (b) => [shuffled(b)], { symmetric: true }), /out of their order/],
      [nbitsModel(k, 16, (b) => [gIdx(b)]), /g_idx and packed zero points/],
    ] as const) {
      const { model, notes } = convertToFloat32(copy(source));
      expect(opSequence(model)).toEqual(['MatMulNBits']);
      expect(notes.map((d) => [d.code, d.node])).toEqual([
        ['fp32-nbits-g-idx', 'fc'],
        ['fp32-not-undone', 'fc'],
      ]);
      expect(notes[0]!.reason).toMatch(why);
    }
  });
});

/** 8-bit MatMulNBits: byte c·kBlocks·block + r is code (c, r); zero points one byte per block. */
function expectedWeights8(node: Node): Float32Array {
  const [k, n, block] = [node.attrInt('K')!, node.attrInt('N')!, node.attrInt('block_size')!];
  const kBlocks = Math.ceil(k / block);
  const [b, zp] = [tensorOf(node, 1)!.bytes(), tensorOf(node, 3)!.bytes()];
  const scales = floats(tensorOf(node, 2)!);
  const out = new Float32Array(k * n);
  for (let c = 0; c < n; c++) for (let r = 0; r < k; r++) {
    const j = c * kBlocks + Math.floor(r / block);
    out[r * n + c] = Math.fround((b[c * kBlocks * block + r]! - zp[j]!) * scales[j]!);
  }
  return out;
}

// --- tinylm, the model of the report: 17 MatMulNBits and two embedding tables -----------------

const TINYLM = process.env.LOWBIT_TINYLM_DIR ?? join(process.cwd(), '../shared/models/tinylm');

it('tinylm int4 (nbits, gather-bits 4: token and position tables) converts back with no warning and quantizes again', { timeout: 300_000 }, async (ctx) => {
  const path = join(TINYLM, 'model.onnx');
  const absent = absentReason(path, 'tinylm');
  if (absent) return skipWithReason(ctx, `tinylm is absent (${TINYLM}; ../shared/models/tinylm or $LOWBIT_TINYLM_DIR)`);
  const options: QuantizeOptions = { mode: 'int4', gatherBits: 4, accuracyLevel: 0 };
  const quantized = copy((await quantize(readModelFile(path).model, options)).model);
  const { model, notes } = convertToFloat32(copy(quantized));
  expect(checkerErrors(model)).toEqual([]);
  expect(notes.filter((d) => d.severity !== 'info')).toEqual([]);
  expect(notes.filter((d) => d.code === 'fp32-undone').map((d) => d.reason).sort()).toEqual(['17× MatMulNBits → MatMul', '2× GatherBlockQuantized → Gather']);
  expect([...model.graph.allNodes()].filter((n) => FOUR_BIT_OPS.has(n.opType))).toEqual([]);
  const feeds: Feeds = { input_ids: { dtype: DataType.INT64, dims: [1, 32], data: BigInt64Array.from({ length: 32 }, (_, i) => BigInt((i * 37 + 11) % 256)) } };
  expect(maxRelativeDiff(await firstOutput(model, feeds), await firstOutput(quantized, feeds))).toBeLessThan(1e-5);
  expect((await quantize(copy(model), options)).quantized).toBe(19);
});
