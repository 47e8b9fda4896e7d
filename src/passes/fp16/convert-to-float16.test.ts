import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { Node } from '../../ir/node.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { float32Tensor, int64Tensor } from '../../ir/tensor/values.js';
import { isTensorType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { decodeModel } from '../../serde/decode.js';
import { encodeModel } from '../../serde/encode.js';
import { createNodeRunner } from '../../runner/ort-node.js';
import { randomFloats } from '../../../test/helpers/ort.js';
import { convertToFloat16 } from './convert-to-float16.js';
import { checkerErrors, fidelity, opSequence, run, worstCosine } from '../../../test/helpers/fidelity.js';

const F = DataType.FLOAT;
const H = DataType.FLOAT16;

function elemType(v: Value | null | undefined): DataType | undefined {
  return isTensorType(v?.type) ? v.type.elemType : undefined;
}

/** Convert a copy (through bytes) and return it with the result, after the common checks. */
function convert(model: Model, options: Parameters<typeof convertToFloat16>[1] = {}) {
  const copy = decodeModel(encodeModel(model));
  const result = convertToFloat16(copy, options);
  expect(checkerErrors(result.model)).toEqual([]);
  return result;
}

function mlp(): GraphBuilder {
  const b = new GraphBuilder(17);
  const x = b.input('x', F, [2, 8]);
  const w = b.initializer('w', float32Tensor([8, 4], randomFloats(32, 1)));
  const bias = b.initializer('b', float32Tensor([4], randomFloats(4, 2)));
  const y = b.op('Relu', [b.op('Add', [b.op('MatMul', [x, w]), bias])]);
  b.output(y, F, [2, 4]);
  return b;
}

const feedsX = (dims: number[], seed = 3) => ({ x: { dtype: F, dims, data: randomFloats(dims.reduce((a, c) => a * c, 1), seed) } });

describe('convertToFloat16', () => {
  it('runs the graph in float16 between Casts at the float32 inputs and outputs', async () => {
    const b = mlp();
    const { model, converted, keptFloat, warnings } = convert(b.model);
    expect(opSequence(model)).toEqual(['Cast', 'MatMul', 'Add', 'Relu', 'Cast']);
    expect([converted, keptFloat, warnings]).toEqual([3, [], []]);
    expect(model.graph.inputs.map((v) => [v.name, elemType(v)])).toEqual([['x', F]]);
    expect(model.graph.outputs.map((v) => [v.name, elemType(v)])).toEqual([[b.graph.outputs[0]!.name, F]]);
    expect([...model.graph.initializers.values()].map((v) => v.initializer!.dtype)).toEqual([H, H]);
    const feeds = feedsX([2, 8]);
    expect(worstCosine(fidelity(await run(b.model, feeds), await run(model, feeds)))).toBeGreaterThan(0.9999);
  });

  it('exposes float16 inputs and outputs with keepIoTypes false', async () => {
    const { model } = convert(mlp().model, { keepIoTypes: false });
    expect(opSequence(model)).toEqual(['MatMul', 'Add', 'Relu']);
    expect([elemType(model.graph.inputs[0]), elemType(model.graph.outputs[0])]).toEqual([H, H]);
    const out = await run(model, { x: { dtype: H, dims: [2, 8], data: new Uint16Array(16).fill(0x3c00) } });
    expect(Object.values(out)[0]!.dtype).toBe(H);
  });

  it('is deterministic: the same model converts to the same bytes', () => {
    const bytes = () => encodeModel(convert(mlp().model).model);
    expect(Buffer.from(bytes()).equals(Buffer.from(bytes()))).toBe(true);
  });

  it('keeps Resize scales and roi float32 while X runs in float16', async () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', F, [1, 2, 4, 4]);
    const roi = b.initializer('roi', float32Tensor([0], []));
    const scales = b.initializer('scales', float32Tensor([4], [1, 1, 2, 2]));
    const y = b.op('Resize', [b.op('Relu', [x]), roi, scales], { attributes: { mode: attr.string('linear') } });
    b.output(b.op('Neg', [y]), F, [1, 2, 8, 8]);
    const { model, keptFloat } = convert(b.model);
    expect(keptFloat).toEqual([]);
    const resize = model.graph.nodes.toArray().find((n) => n.opType === 'Resize')!;
    expect(resize.inputs.map(elemType)).toEqual([H, F, F]);
    const feeds = feedsX([1, 2, 4, 4]);
    expect(worstCosine(fidelity(await run(b.model, feeds), await run(model, feeds)))).toBeGreaterThan(0.9999);
    // Converted again, with or without float32 I/O: nothing computes in float32 but the boundary
    // Casts and the Resize's own float32 scales, so the model comes back untouched.
    expect(model.graph.nodes.toArray().some((n) => n.opType === 'Cast')).toBe(true);
    for (const converted of [model, convert(b.model, { keepIoTypes: false }).model]) {
      const bytes = encodeModel(converted);
      const again = convertToFloat16(decodeModel(bytes));
      expect(again).toMatchObject({ converted: 0, alreadyFloat16: true });
      expect(encodeModel(again.model)).toEqual(bytes);
    }
    expect(convert(b.model).alreadyFloat16).toBe(false);
  });

  it('keeps Range, random ops and blocked ops in float32 with Casts around them, and says why', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [5]);
    const start = b.op('ReduceMin', [x], { attributes: { keepdims: attr.int(0) } });
    const range = b.op('Range', [start, b.initializer('limit', float32Tensor([], [5])), b.initializer('delta', float32Tensor([], [1]))]);
    const noise = b.op('RandomUniformLike', [x], { attributes: { seed: attr.float(1) } });
    const sum = b.op('Add', [b.op('Sin', [b.op('Mul', [range, x])]), b.op('Mul', [noise, b.initializer('zero', float32Tensor([], [0]))])]);
    b.output(b.op('Softmax', [sum]), F, [5]);
    const { model, keptFloat } = convert(b.model, { block: ['Sin'] });
    expect(keptFloat.map((d) => [d.opType, d.code])).toEqual([
      ['Range', 'fp16-unsupported'],
      ['RandomUniformLike', 'fp16-random'],
      ['Sin', 'fp16-blocked'],
    ]);
    expect(keptFloat.every((d) => d.reason.length > 10 && d.severity === 'info')).toBe(true);
    const byOp = (op: string) => model.graph.nodes.toArray().find((n) => n.opType === op)!;
    expect(byOp('Range').inputs.map(elemType)).toEqual([F, F, F]);
    expect(elemType(byOp('Sin').output())).toBe(F);
    expect(elemType(byOp('Softmax').output())).toBe(H);
    const feeds = { x: { dtype: F, dims: [5], data: Float32Array.from([0.5, 1, 2, 3, 4]) } };
    expect(worstCosine(fidelity(await run(b.model, feeds), await run(model, feeds)))).toBeGreaterThan(0.9999);
  });

  it('retargets Cast(to=FLOAT), CastLike and ConstantOfShape inside the float16 region', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [2, 3]);
    const ids = b.input('ids', DataType.INT64, [2, 3]);
    const asFloat = b.op('Cast', [ids], { attributes: { to: attr.int(F) } });
    const like = b.op('CastLike', [ids, x]);
    const fill = b.op('ConstantOfShape', [b.op('Shape', [x])], { attributes: { value: attr.tensor(float32Tensor([1], [0.25])) } });
    b.output(b.op('Add', [b.op('Mul', [x, asFloat]), b.op('Add', [like, fill])]), F, [2, 3]);
    const { model, keptFloat } = convert(b.model);
    expect(keptFloat).toEqual([]);
    const byOp = (op: string) => model.graph.nodes.toArray().find((n) => n.opType === op)!;
    expect(byOp('Cast').attrInt('to')).toBe(H);
    expect(elemType(byOp('CastLike').output())).toBe(H);
    expect(byOp('ConstantOfShape').attrTensor('value')!.dtype).toBe(H);
    const feeds = { ...feedsX([2, 3]), ids: { dtype: DataType.INT64, dims: [2, 3], data: BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n]) } };
    expect(worstCosine(fidelity(await run(b.model, feeds), await run(model, feeds)))).toBeGreaterThan(0.9999);
  });

  it('converts Constant-node weights, shares a constant read in both precisions, and keeps shape arithmetic float32', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [2, 4, 6]);
    const w = b.op('Constant', [], { attributes: { value: attr.tensor(float32Tensor([6, 6], randomFloats(36, 5))) } });
    const half = b.op('Constant', [], { attributes: { value_float: attr.float(0.5) } });
    // Shape → float → ×0.5 → int64: a new shape [1, 2, 3, -1] computed on shapes.
    const len = b.op('Cast', [b.op('Mul', [b.op('Cast', [b.op('Shape', [x])], { attributes: { to: attr.int(F) } }), half])], { attributes: { to: attr.int(DataType.INT64) } });
    const shape = b.op('Concat', [len, b.initializer('rest', int64Tensor([1], [-1]))], { attributes: { axis: attr.int(0) } });
    const shaped = b.op('Reshape', [b.op('MatMul', [x, w]), shape]);
    b.output(b.op('Mul', [shaped, half]), F, [1, 2, 3, 8]);
    const { model, keptFloat } = convert(b.model);
    expect(keptFloat.map((d) => [d.opType, d.code])).toEqual([
      ['Cast', 'fp16-shape-arithmetic'],
      ['Mul', 'fp16-shape-arithmetic'],
      ['Cast', 'fp16-shape-arithmetic'],
    ]);
    const constants = model.graph.nodes.toArray().filter((n) => n.opType === 'Constant');
    // The weight is converted in place; 0.5 keeps its float32 value_float for the shape Mul and
    // gets a float16 twin for the data Mul.
    expect(constants.map((n) => n.attrTensor('value')?.dtype ?? n.attrFloat('value_float'))).toEqual([H, 0.5, H]);
    const feeds = feedsX([2, 4, 6]);
    expect(worstCosine(fidelity(await run(b.model, feeds), await run(model, feeds)))).toBeGreaterThan(0.999);
  });

  it('clamps out-of-range mask constants with a warning, keeps ops where clamping would mislead, and counts flushed values', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [4]);
    const mask = b.initializer('mask', float32Tensor([4], [0, -3e38, 0, -1e9]));
    const big = b.initializer('big', float32Tensor([], [1e6]));
    const tiny = b.initializer('tiny', float32Tensor([4], [1e-9, 2e-9, 0, 1]));
    const y = b.op('Add', [b.op('Mul', [b.op('Mul', [x, tiny]), big]), mask]);
    b.output(b.op('Softmax', [y]), F, [4]);
    const { model, keptFloat, warnings } = convert(b.model);
    expect(keptFloat.map((d) => [d.opType, d.code])).toEqual([['Mul', 'fp16-out-of-range']]);
    expect(keptFloat[0]!.reason).toContain("'big'");
    expect(warnings.map((d) => [d.code, d.value])).toEqual([
      ['fp16-clamped', 'mask'],
      ['fp16-underflow', undefined],
    ]);
    expect(warnings[0]!.reason).toMatch(/2 value\(s\) of 'mask'.*±65504/);
    expect(warnings[1]!.reason).toMatch(/^2 non-zero value\(s\) in 1 tensor/);
    expect(model.graph.initializers.get('big')!.initializer!.dtype).toBe(F);
    const feeds = { x: { dtype: F, dims: [4], data: Float32Array.from([1, 2, 3, 4]) } };
    const out = Object.values(await run(model, feeds))[0]!;
    expect(Array.from(out.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('keeps LayerNormalization statistics float32 and runs the normalization in float16', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [2, 8]);
    const [y, mean] = b.node('LayerNormalization', [x, b.initializer('g', float32Tensor([8], randomFloats(8, 7))), b.initializer('beta', float32Tensor([8], randomFloats(8, 8)))], { outputCount: 2 });
    b.output(y!, F, [2, 8]);
    b.output(b.op('Neg', [mean!]), F, [2, 1]);
    const { model } = convert(b.model);
    const ln = model.graph.nodes.toArray().find((n) => n.opType === 'LayerNormalization')!;
    expect([elemType(ln.outputs[0]!), elemType(ln.outputs[1]!)]).toEqual([H, F]);
    const feeds = feedsX([2, 8]);
    expect(worstCosine(fidelity(await run(b.model, feeds), await run(model, feeds)))).toBeGreaterThan(0.9999);
  });

  it('converts If branches with float32 at their boundary', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [3]);
    const cond = b.input('cond', DataType.BOOL, []);
    const branch = (name: string, scale: number) => {
      const g = new Graph(name);
      const k = g.addInitializer(b.model.freshName(`${name}_k`), float32Tensor([], [scale]));
      const node = new Node({ opType: 'Mul', name: b.model.freshName(`${name}_mul`), inputs: [x, k], outputs: [b.model.freshName(`${name}_out`)] });
      g.appendNode(node);
      node.output().type = { kind: 'tensor', elemType: F, shape: [3] };
      g.outputs.push(node.output());
      return g;
    };
    const y = b.op('If', [cond], { attributes: { then_branch: attr.graph(branch('then', 2)), else_branch: attr.graph(branch('else', -3)) } });
    b.output(b.op('Relu', [y]), F, [3]);
    const { model, converted } = convert(b.model);
    expect(converted).toBe(3);
    const ifNode = model.graph.nodes.toArray().find((n) => n.opType === 'If')!;
    const thenGraph = ifNode.subgraphs()[0]!;
    expect(thenGraph.nodes.toArray().map((n) => n.opType)).toEqual(['Mul', 'Cast']);
    expect(elemType(thenGraph.outputs[0])).toBe(F);
    expect([...thenGraph.initializers.values()][0]!.initializer!.dtype).toBe(H);
    for (const flag of [0, 1]) {
      const feeds = { ...feedsX([3]), cond: { dtype: DataType.BOOL, dims: [], data: Uint8Array.of(flag) } };
      expect(worstCosine(fidelity(await run(b.model, feeds), await run(model, feeds)))).toBeGreaterThan(0.9999);
    }
  });

  it('converts a Loop body, keeping the loop-carried value float32 at the boundary', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [3]);
    const body = new Graph('body');
    body.addInput(b.model.freshName('i'), { kind: 'tensor', elemType: DataType.INT64, shape: [] });
    const cond = body.addInput(b.model.freshName('cond'), { kind: 'tensor', elemType: DataType.BOOL, shape: [] });
    const carried = body.addInput(b.model.freshName('carried'), { kind: 'tensor', elemType: F, shape: [3] });
    const k = body.addInitializer(b.model.freshName('k'), float32Tensor([], [1.5]));
    const keepGoing = new Node({ opType: 'Identity', name: b.model.freshName('keep'), inputs: [cond], outputs: [b.model.freshName('cond_out')] });
    const step = new Node({ opType: 'Add', name: b.model.freshName('step'), inputs: [carried, x], outputs: [b.model.freshName('sum')] });
    const scale = new Node({ opType: 'Mul', name: b.model.freshName('scale'), inputs: [step.output(), k], outputs: [b.model.freshName('next')] });
    for (const n of [keepGoing, step, scale]) body.appendNode(n);
    keepGoing.output().type = { kind: 'tensor', elemType: DataType.BOOL, shape: [] };
    scale.output().type = { kind: 'tensor', elemType: F, shape: [3] };
    body.outputs.push(keepGoing.output(), scale.output());
    const trips = b.initializer('trips', int64Tensor([], [4]));
    const go = b.initializer('go', DenseTensor.fromTyped(DataType.BOOL, [], Uint8Array.of(1)));
    const y = b.op('Loop', [trips, go, x], { attributes: { body: attr.graph(body) } });
    b.output(b.op('Neg', [y]), F, [3]);
    const { model, converted } = convert(b.model);
    expect(converted).toBe(3);
    const loopBody = model.graph.nodes.toArray().find((n) => n.opType === 'Loop')!.subgraphs()[0]!;
    expect(loopBody.nodes.toArray().map((n) => n.opType)).toEqual(['Cast', 'Identity', 'Add', 'Mul', 'Cast']);
    expect(loopBody.inputs.map(elemType)).toEqual([DataType.INT64, DataType.BOOL, F]);
    expect(loopBody.outputs.map(elemType)).toEqual([DataType.BOOL, F]);
    const feeds = feedsX([3]);
    expect(worstCosine(fidelity(await run(b.model, feeds), await run(model, feeds)))).toBeGreaterThan(0.9999);
  });

  it('leaves values that are already float16 alone and drops Casts that became no-ops', () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [2]);
    const h = b.op('Cast', [x], { attributes: { to: attr.int(H) } });
    const w = b.initializer('w', DenseTensor.fromTyped(H, [2], Uint16Array.of(0x3c00, 0x4000)));
    const back = b.op('Cast', [b.op('Mul', [h, w])], { attributes: { to: attr.int(F) } });
    b.output(b.op('Exp', [back]), F, [2]);
    const { model } = convert(b.model);
    expect(opSequence(model)).toEqual(['Cast', 'Mul', 'Exp', 'Cast']);
  });

  it('refuses a model whose value types cannot be inferred, naming them', () => {
    const b = new GraphBuilder(17, { 'com.example': 1 });
    const x = b.input('x', F, [2]);
    b.output(b.op('Relu', [b.op('Mystery', [x], { domain: 'com.example' })]));
    expect(() => convertToFloat16(b.model)).toThrow(/type of every value/);
  });

  it('keeps a Resize scale computed from shapes float32', () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', F, [1, 1, 3, 3]);
    const size = b.op('Cast', [b.op('Shape', [x])], { attributes: { to: attr.int(F) } });
    const scales = b.op('Div', [b.initializer('target', float32Tensor([4], [1, 1, 6, 6])), size]);
    b.output(b.op('Resize', [x, b.initializer('roi', float32Tensor([0], [])), scales]), F, [1, 1, 6, 6]);
    const { keptFloat } = convert(b.model);
    expect(keptFloat.map((d) => [d.opType, d.code])).toEqual([
      ['Cast', 'fp16-shape-arithmetic'],
      ['Div', 'fp16-shape-arithmetic'],
    ]);
  });

  it('keeps a batch-moving Transpose before MatMul float32, which onnxruntime 1.30 crashes on in float16', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [2, 3, 8]);
    const t = b.op('Transpose', [b.op('Relu', [x])], { attributes: { perm: attr.ints([1, 0, 2]) } });
    b.output(b.op('MatMul', [t, b.initializer('w', float32Tensor([8, 4], randomFloats(32, 9)))]), F, [3, 2, 4]);
    const { model, keptFloat } = convert(b.model);
    expect(keptFloat.map((d) => [d.opType, d.code])).toEqual([['Transpose', 'fp16-runtime-bug']]);
    // Loading at the default optimization level is what used to crash the process.
    const runner = await createNodeRunner(encodeModel(model), { optimization: 'all' });
    const out = await runner.run(feedsX([2, 3, 8]));
    await runner.dispose();
    expect(worstCosine(fidelity(await run(b.model, feedsX([2, 3, 8])), out))).toBeGreaterThan(0.9999);
  });

  it('keeps ops of other domains in float32', () => {
    const b = new GraphBuilder(17, { 'com.microsoft': 1 });
    const x = b.input('x', F, [2, 4]);
    b.output(b.op('Gelu', [b.op('Relu', [x])], { domain: 'com.microsoft' }), F, [2, 4]);
    const { model, keptFloat } = convert(b.model);
    expect(keptFloat.map((d) => d.code)).toEqual(['fp16-other-domain']);
    expect(opSequence(model)).toEqual(['Cast', 'Relu', 'Cast', 'Gelu']);
  });
});
