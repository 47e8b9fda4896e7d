import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { float32Tensor, int64Tensor, typedData } from '../../ir/tensor/values.js';
import { isTensorType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { quantizeWeight } from '../../quant/weights.js';
import { decodeModel } from '../../serde/decode.js';
import { encodeModel } from '../../serde/encode.js';
import { randomFloats } from '../../../test/helpers/ort.js';
import { convertToFloat16 } from '../fp16/convert-to-float16.js';
import { checkerErrors, fidelity, opSequence, run, worstCosine } from '../../../test/helpers/fidelity.js';
import { convertToFloat32 } from './convert-to-float32.js';
import { quantize } from '../../quantize/quantize.js';

const F = DataType.FLOAT;
const H = DataType.FLOAT16;

const elemType = (v: Value | undefined) => (isTensorType(v?.type) ? v.type.elemType : undefined);

function toFloat32Copy(model: Model) {
  const result = convertToFloat32(decodeModel(encodeModel(model)));
  expect(checkerErrors(result.model)).toEqual([]);
  return result;
}

/** An int8 weight (per column when `perChannel`) as initializers: values, scale, zero point. */
function int8Weight(b: GraphBuilder, name: string, dims: [number, number], axis: number | undefined, seed: number) {
  const values = randomFloats(dims[0] * dims[1], seed, 0.5);
  const q = quantizeWeight(values, dims, { axis });
  const scaleDims = axis === undefined ? [] : [q.scales.length];
  return {
    float: values,
    q: b.initializer(`${name}_quantized`, DenseTensor.fromTyped(DataType.INT8, dims, q.values)),
    scale: b.initializer(`${name}_scale`, float32Tensor(scaleDims, q.scales)),
    zero: b.initializer(`${name}_zero_point`, DenseTensor.fromTyped(DataType.INT8, scaleDims, q.zeroPoints as Int8Array)),
  };
}

const feeds = (dims: number[], seed = 11) => ({ x: { dtype: F, dims, data: randomFloats(dims.reduce((a, c) => a * c, 1), seed) } });

/**
 * The chain onnxruntime's dynamic quantizer writes for MatMul + bias, and the float model it stands
 * for: the same MatMul + bias on the dequantized weight, computed here by hand.
 */
function dynamicMatMul(perChannel: boolean): { quantized: Model; float: Model } {
  const b = new GraphBuilder(17);
  const x = b.input('x', F, [3, 8]);
  const w = int8Weight(b, 'w', [8, 4], perChannel ? 1 : undefined, 1);
  const [xq, xs, xz] = b.node('DynamicQuantizeLinear', [x], { outputCount: 3 });
  const product = b.op('MatMulInteger', [xq!, w.q, xz!, w.zero], { name: 'fc_quant' });
  const scaled = b.op('Mul', [b.op('Cast', [product], { attributes: { to: attr.int(F) } }), b.op('Mul', [xs!, w.scale])]);
  const bias = float32Tensor([4], [0.1, 0.2, 0.3, 0.4]);
  b.output(b.op('Add', [scaled, b.initializer('bias', bias)]), F, [3, 4]);

  const [q, s, z] = [w.q.initializer!, w.scale.initializer!, w.zero.initializer!].map((t) => Array.from((t as DenseTensor).typed() as ArrayLike<number>));
  const dequantized = q!.map((v, i) => Math.fround((v - z![i % z!.length]!) * s![i % s!.length]!));
  const f = new GraphBuilder(17);
  const fx = f.input('x', F, [3, 8]);
  f.output(f.op('Add', [f.op('MatMul', [fx, f.initializer('w', float32Tensor([8, 4], dequantized))]), f.initializer('bias', bias)]), F, [3, 4]);
  return { quantized: b.model, float: f.model };
}

describe('convertToFloat32', () => {
  it('turns an fp16 model with I/O Casts back into the plain float32 graph', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [2, 8]);
    const y = b.op('Relu', [b.op('Add', [b.op('MatMul', [x, b.initializer('w', float32Tensor([8, 4], randomFloats(32, 1)))]), b.initializer('b', float32Tensor([4], randomFloats(4, 2)))])]);
    b.output(y, F, [2, 4]);
    for (const keepIoTypes of [true, false]) {
      const half = convertToFloat16(decodeModel(encodeModel(b.model)), { keepIoTypes }).model;
      const { model, notes } = toFloat32Copy(half);
      expect(opSequence(model)).toEqual(['MatMul', 'Add', 'Relu']);
      expect([model.graph.inputs[0], model.graph.outputs[0]].map((v) => [v!.name, elemType(v)])).toEqual([
        ['x', F],
        [b.graph.outputs[0]!.name, F],
      ]);
      expect([...model.graph.initializers.values()].map((v) => v.initializer!.dtype)).toEqual([F, F]);
      expect(notes.some((d) => d.severity === 'warning')).toBe(false);
      expect(notes.some((d) => d.code === 'fp32-io-retyped')).toBe(!keepIoTypes);
      expect(worstCosine(fidelity(await run(b.model, feeds([2, 8])), await run(model, feeds([2, 8]))))).toBeGreaterThan(0.9999);
    }
  });

  it('converts fp16 Constant nodes, ConstantOfShape values and Casts to FLOAT16 inside subgraph-free models', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', H, [2, 2]);
    const k = b.op('Constant', [], { attributes: { value: attr.tensor(DenseTensor.fromTyped(H, [2], Uint16Array.of(0x3c00, 0x4000))) } });
    const fill = b.op('ConstantOfShape', [b.op('Shape', [x])], { attributes: { value: attr.tensor(DenseTensor.fromTyped(H, [1], Uint16Array.of(0x3800))) } });
    const ids = b.op('Cast', [b.op('Shape', [x])], { attributes: { to: attr.int(H) } });
    b.output(b.op('Add', [b.op('Mul', [x, k]), b.op('Add', [fill, ids])]), H, [2, 2]);
    const { model } = toFloat32Copy(b.model);
    const byOp = (op: string) => model.graph.nodes.toArray().find((n) => n.opType === op)!;
    expect(byOp('Constant').attrTensor('value')!.dtype).toBe(F);
    expect(byOp('ConstantOfShape').attrTensor('value')!.dtype).toBe(F);
    expect(byOp('Cast').attrInt('to')).toBe(F);
    const out = await run(model, { x: { dtype: F, dims: [2, 2], data: Float32Array.of(1, 2, 3, 4) } });
    expect(Array.from(Object.values(out)[0]!.data as Float32Array)).toEqual([3.5, 6.5, 5.5, 10.5]);
  });

  for (const perChannel of [false, true]) {
    it(`undoes DynamicQuantizeLinear + MatMulInteger + Cast + Mul (${perChannel ? 'per-column' : 'per-tensor'} weight scale)`, async () => {
      const { quantized, float } = dynamicMatMul(perChannel);
      const { model, converted, notes } = toFloat32Copy(quantized);
      expect(opSequence(model)).toEqual(['MatMul', 'Add']);
      expect(converted).toBe(1);
      expect(notes.map((d) => [d.code, d.reason])).toEqual([['fp32-undone', '1× MatMulInteger → MatMul']]);
      const matmul = model.graph.nodes.first()!;
      expect(matmul.name).toBe('fc');
      expect(Buffer.from(encodeModel(model)).equals(Buffer.from(encodeModel(toFloat32Copy(quantized).model)))).toBe(true);
      expect(matmul.input(1)!.name).toBe('w');
      const candidate = await run(model, feeds([3, 8]));
      // Exactly the float model the quantizer started from (up to its weight rounding)…
      expect(Object.values(fidelity(await run(float, feeds([3, 8])), candidate))[0]!.maxAbsError).toBeLessThan(1e-6);
      // …and close to the quantized one, which also rounds the activations to 8 bits.
      expect(worstCosine(fidelity(await run(quantized, feeds([3, 8])), candidate))).toBeGreaterThan(0.99);
    });
  }

  it('shares the dequantized weight between MatMulIntegers and removes the shared DynamicQuantizeLinear last', () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [3, 8]);
    const w = int8Weight(b, 'w', [8, 4], undefined, 2);
    const [xq, xs, xz] = b.node('DynamicQuantizeLinear', [x], { outputCount: 3 });
    for (const name of ['a', 'b']) {
      const product = b.op('MatMulInteger', [xq!, w.q, xz!, w.zero], { name });
      b.output(b.op('Mul', [b.op('Cast', [product], { attributes: { to: attr.int(F) } }), b.op('Mul', [xs!, w.scale])]), F, [3, 4]);
    }
    const { model } = toFloat32Copy(b.model);
    expect(opSequence(model)).toEqual(['MatMul', 'MatMul']);
    expect([...model.graph.initializers.keys()]).toEqual(['w']);
  });

  it('undoes the ConvInteger form and folds the Reshape + Add bias back into Conv', async () => {
    const b = new GraphBuilder(15);
    const x = b.input('x', F, [1, 3, 6, 6]);
    const values = randomFloats(4 * 3 * 3 * 3, 3, 0.4);
    // Per-tensor uint8, as imgly's `small` ISNet has it.
    const q = quantizeWeight(values, [4 * 3 * 3 * 3], { dtype: DataType.UINT8 });
    const wq = b.initializer('conv.weight_quantized', DenseTensor.fromTyped(DataType.UINT8, [4, 3, 3, 3], q.values));
    const ws = b.initializer('conv.weight_scale', float32Tensor([], q.scales));
    const wz = b.initializer('conv.weight_zero_point', DenseTensor.fromTyped(DataType.UINT8, [], q.zeroPoints));
    const bias = b.op('Reshape', [b.initializer('conv.bias', float32Tensor([4], [1, 2, 3, 4])), b.initializer('shape', int64Tensor([4], [1, 4, 1, 1]))]);
    const [xq, xs, xz] = b.node('DynamicQuantizeLinear', [x], { outputCount: 3 });
    const conv = b.op('ConvInteger', [xq!, wq, xz!, wz], { name: 'conv_quant', attributes: { pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([3, 3]) } });
    const scaled = b.op('Mul', [b.op('Cast', [conv], { attributes: { to: attr.int(F) } }), b.op('Mul', [xs!, ws])]);
    b.output(b.op('Relu', [b.op('Add', [scaled, bias])]), F, [1, 4, 6, 6]);
    const { model } = toFloat32Copy(b.model);
    expect(opSequence(model)).toEqual(['Conv', 'Relu']);
    const convNode = model.graph.nodes.first()!;
    expect(convNode.inputs.map((v) => v!.name)).toEqual(['x', 'conv.weight', 'conv.bias']);
    expect(convNode.attrInts('pads')).toEqual([1, 1, 1, 1]);
    expect([...model.graph.initializers.keys()].sort()).toEqual(['conv.bias', 'conv.weight']);
    const inputs = feeds([1, 3, 6, 6]);
    expect(worstCosine(fidelity(await run(b.model, inputs), await run(model, inputs)))).toBeGreaterThan(0.999);
  });

  it('dequantizes a uint8 Gather table, folds DequantizeLinear of a weight and drops an activation QDQ pair', async () => {
    const b = new GraphBuilder(17);
    const ids = b.input('ids', DataType.INT64, [2, 3]);
    const table = Uint8Array.from({ length: 10 * 4 }, (_, i) => (i * 37) % 256);
    const rows = b.op('Gather', [b.initializer('emb_quantized', DenseTensor.fromTyped(DataType.UINT8, [10, 4], table)), ids]);
    const scale = b.initializer('emb_scale', float32Tensor([], [0.02]));
    const zero = b.initializer('emb_zero', DenseTensor.fromTyped(DataType.UINT8, [], Uint8Array.of(128)));
    const embedded = b.op('DequantizeLinear', [rows, scale, zero]);
    const w = int8Weight(b, 'w', [4, 4], 1, 4);
    const weight = b.op('DequantizeLinear', [w.q, w.scale, w.zero], { attributes: { axis: attr.int(1) } });
    const actScale = b.initializer('act_scale', float32Tensor([], [0.05]));
    const actZero = b.initializer('act_zero', DenseTensor.fromTyped(DataType.UINT8, [], Uint8Array.of(128)));
    const fake = b.op('DequantizeLinear', [b.op('QuantizeLinear', [embedded, actScale, actZero]), actScale, actZero]);
    b.output(b.op('MatMul', [fake, weight]), F, [2, 3, 4]);
    const { model, notes } = toFloat32Copy(b.model);
    expect(opSequence(model)).toEqual(['Gather', 'MatMul']);
    expect(model.graph.nodes.first()!.input(0)!.initializer!.dtype).toBe(F);
    expect(notes.filter((d) => d.code === 'fp32-undone').map((d) => d.reason)).toEqual([
      '1× quantized Gather table dequantized',
      '1× DequantizeLinear of a constant folded',
      '1× QuantizeLinear → DequantizeLinear pair removed',
    ]);
    const inputs = { ids: { dtype: DataType.INT64, dims: [2, 3], data: BigInt64Array.from([0n, 3n, 9n, 1n, 5n, 7n]) } };
    expect(worstCosine(fidelity(await run(b.model, inputs), await run(model, inputs)))).toBeGreaterThan(0.99);
  });

  it('names the quantized ops it cannot undo', () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [3, 8]);
    const w = int8Weight(b, 'w', [8, 4], undefined, 5);
    const xq = b.op('QuantizeLinear', [x, b.initializer('s', float32Tensor([], [0.1])), b.initializer('z', DenseTensor.fromTyped(DataType.UINT8, [], Uint8Array.of(128)))]);
    const product = b.op('MatMulInteger', [xq, w.q, null, w.zero], { name: 'static_mm' });
    b.output(b.op('Cast', [product], { attributes: { to: attr.int(F) } }), F, [3, 4]);
    const { notes } = toFloat32Copy(b.model);
    expect(notes.map((d) => [d.code, d.node])).toEqual([
      ['fp32-not-dynamic', 'static_mm'],
      ['fp32-not-undone', 'QuantizeLinear'],
      ['fp32-not-undone', 'static_mm'],
    ]);
  });

  it('turns lowbit\'s per-row int8 embedding table (dynamic mode) back into the float table it stands for', async () => {
    const b = new GraphBuilder(13);
    const ids = b.input('ids', DataType.INT64, [2, 3]);
    const table = randomFloats(10 * 4, 11, 0.8);
    const rows = b.op('Gather', [b.initializer('emb', float32Tensor([10, 4], table)), ids], { name: 'lookup' });
    b.output(b.op('MatMul', [rows, b.initializer('w', float32Tensor([4, 2], randomFloats(8, 12)))]), F, [2, 3, 2]);
    const quantized = decodeModel(encodeModel(b.model));
    await quantize(quantized, { mode: 'dynamic' });
    expect(opSequence(quantized)).toContain('Cast');
    const { model: back, notes } = toFloat32Copy(quantized);
    expect(notes.map((d) => d.reason)).toContain('1× per-row int8 Gather table dequantized');
    const gathers = [...back.graph.nodes].filter((n) => n.opType === 'Gather');
    expect(gathers.map((n) => [n.name, n.input(0)!.name])).toEqual([['lookup', 'emb']]);
    // Each row is its int8 codes times its scale: within one step of the float row.
    const restored = typedData(gathers[0]!.input(0)!.constTensor()!) as Float32Array;
    for (let r = 0; r < 10; r++) {
      const row = table.subarray(r * 4, r * 4 + 4);
      const step = Math.max(...row.map(Math.abs)) / 127;
      for (let c = 0; c < 4; c++) expect(Math.abs(restored[r * 4 + c]! - row[c]!)).toBeLessThanOrEqual(step / 2 + 1e-7);
    }
    expect([...back.graph.nodes].some((n) => n.opType === 'Cast')).toBe(false);
    // The quantized form is recognised as such: quantizing it again is refused.
    await expect(quantize(decodeModel(encodeModel(quantized)), { mode: 'dynamic' })).rejects.toThrow(/already quantized \(.*Gather of an 8-bit table ×1/);
    await quantize(back, { mode: 'dynamic' });
  });

  it('drops the quantization lowbit recorded once it is undone, and keeps it while some remains', async () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', F, [3, 8]);
    b.output(b.op('MatMul', [x, b.initializer('w', float32Tensor([8, 4], randomFloats(32, 3)))]), F, [3, 4]);
    const quantized = b.model;
    await quantize(quantized, { mode: 'weights-int8' });
    quantized.setMetadata('lowbit.calibration', '{}');
    quantized.setMetadata('owner', 'kept');
    const back = toFloat32Copy(quantized).model;
    expect(back.metadataProps.map(([k]) => k).sort()).toEqual(['lowbit.version', 'owner']);
  });
});
