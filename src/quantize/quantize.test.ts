import { describe, expect, it } from 'vitest';
import { AttrType, attr } from '../ir/attribute.js';
import { GraphBuilder } from '../ir/builder.js';
import { DataType } from '../ir/dtype.js';
import { Graph } from '../ir/graph.js';
import { Node } from '../ir/node.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import { float32Tensor, toFloat32, typedData } from '../ir/tensor/values.js';
import { checkModel } from '../ir/checker.js';
import type { Model } from '../ir/model.js';
import { decodeModel } from '../serde/decode.js';
import { encodeModel } from '../serde/encode.js';
import { FidelityAccumulator } from '../eval/metrics.js';
import { createNodeRunner } from '../runner/ort-node.js';
import type { Feeds } from '../runner/runner.js';
import { quantize } from './quantize.js';
import { roundHalfToEven } from '../quant/rounding.js';
import { randomFloats, runOnce } from '../../test/helpers/ort.js';
import { maxRelativeDiff } from '../../test/helpers/fidelity.js';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/temp-dir.js';
import { minMaxCalibrator } from '../../test/helpers/minmax-calibrator.js';

/** Conv → ConvTranspose → Flatten → Gemm(transB) → MatMul → Gemm, weights random. */
function mixedModel(opset = 13): Model {
  const b = new GraphBuilder(opset);
  const x = b.input('x', DataType.FLOAT, [1, 3, 8, 8]);
  const conv = b.op('Conv', [x, b.initializer('conv_w', float32Tensor([4, 3, 3, 3], randomFloats(108, 1, 0.5))), b.initializer('conv_b', float32Tensor([4], randomFloats(4, 2)))], {
    attributes: { pads: attr.ints([1, 1, 1, 1]) },
  });
  const up = b.op('ConvTranspose', [b.op('Relu', [conv]), b.initializer('up_w', float32Tensor([4, 2, 2, 2], randomFloats(32, 3, 0.5)))], { attributes: { strides: attr.ints([2, 2]) } });
  const flat = b.op('Flatten', [up]);
  const g1 = b.op('Gemm', [flat, b.initializer('fc1_w', float32Tensor([16, 512], randomFloats(16 * 512, 4, 0.05))), b.initializer('fc1_b', float32Tensor([16], randomFloats(16, 5)))], {
    attributes: { transB: attr.int(1) },
  });
  const m = b.op('MatMul', [b.op('Relu', [g1]), b.initializer('fc2_w', float32Tensor([16, 12], randomFloats(192, 6, 0.3)))]);
  const g2 = b.op('Gemm', [m, b.initializer('fc3_w', float32Tensor([12, 10], randomFloats(120, 7, 0.3)))], { attributes: { alpha: attr.float(0.5) } });
  b.output(g2, DataType.FLOAT, [1, 10]);
  return b.model;
}

const feeds = (seed = 9): Feeds => ({ x: { dtype: DataType.FLOAT, dims: [1, 3, 8, 8], data: randomFloats(192, seed) } });
const ops = (m: Model) => [...m.graph.nodes].map((n) => n.opType);

/** The float model with each quantized weight replaced by its dequantized values: what a weight-only model must compute exactly. */
function withDequantizedWeights(quantized: Model, float: Model): Model {
  for (const node of quantized.graph.nodes) {
    if (node.opType !== 'DequantizeLinear') continue;
    const [q, s, z] = node.inputs.map((v) => v!.initializer!);
    const qs = typedData(q!) as Int8Array;
    const scales = toFloat32(s!);
    const zps = typedData(z!) as Int8Array;
    const axis = node.attrInt('axis', 1);
    const dims = q!.dims;
    const inner = dims.slice(axis + 1).reduce((a, c) => a * c, 1);
    const channels = scales.length > 1 ? dims[axis]! : 1;
    const out = new Float32Array(qs.length);
    for (let i = 0; i < qs.length; i++) {
      const c = channels > 1 ? Math.floor(i / inner) % channels : 0;
      out[i] = Math.fround((qs[i]! - zps[c]!) * scales[c]!);
    }
    const name = node.output().uses()[0]!.node.input(node.output().uses()[0]!.index)!.name.replace(/_dequantized(_\d+)?$/, '');
    const target = float.graph.initializers.get(name)!;
    target.initializer = DenseTensor.fromTyped(DataType.FLOAT, [...dims], out);
  }
  return float;
}

describe('weights-int8', () => {
  it('puts one DequantizeLinear per weight, per output channel, and computes exactly the float model with dequantized weights', async () => {
    const model = mixedModel();
    const result = await quantize(model, { mode: 'weights-int8' });
    expect(result.quantized).toBe(5);
    expect(checkModel(model)).toEqual([]);
    const dq = [...model.graph.nodes].filter((n) => n.opType === 'DequantizeLinear');
    expect(dq).toHaveLength(5);
    const axisOf = (weight: string) => dq.find((n) => n.input(0)!.name.startsWith(weight))!.attrInt('axis');
    expect([axisOf('conv_w'), axisOf('up_w'), axisOf('fc1_w'), axisOf('fc2_w'), axisOf('fc3_w')]).toEqual([0, 1, 0, 1, 1]);
    expect(dq.every((n) => n.input(0)!.initializer!.dtype === DataType.INT8)).toBe(true);
    expect(model.graph.initializers.has('conv_w')).toBe(false); // float weights are gone
    expect(model.graph.initializers.has('conv_b')).toBe(true); // biases stay float
    expect(result.weightBytes.after / result.weightBytes.before).toBeLessThan(0.27);

    const expected = await runOnce(encodeModel(withDequantizedWeights(model, mixedModel())), feeds());
    const actual = await runOnce(encodeModel(model), feeds());
    // Not bit-identical: onnxruntime prepacks constant weights, and a DequantizeLinear output is not
    // constant, so the two sum in a different order. Quantization error would be ~1e-2; this is float rounding.
    const name = model.graph.outputs[0]!.name;
    expect(maxRelativeDiff(actual[name]!.data as Float32Array, expected[name]!.data as Float32Array)).toBeLessThan(1e-5);
  });

  it('quantizes a weight shared by two nodes once', async () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', DataType.FLOAT, [2, 8]);
    const w = b.initializer('shared', float32Tensor([8, 8], randomFloats(64, 1)));
    const h = b.op('MatMul', [x, w]);
    b.output(b.op('MatMul', [h, w]), DataType.FLOAT, [2, 8]);
    const result = await quantize(b.model, { mode: 'weights-int8' });
    expect(result.quantized).toBe(2);
    expect(ops(b.model).filter((o) => o === 'DequantizeLinear')).toHaveLength(1);
    expect([...b.model.graph.initializers.keys()]).toEqual(['shared_quantized', 'shared_scale', 'shared_zero_point']);
  });

  it('offers per-tensor and asymmetric uint8 weights', async () => {
    const perTensor = mixedModel();
    await quantize(perTensor, { mode: 'weights-int8', perTensor: true });
    const dq = [...perTensor.graph.nodes].filter((n) => n.opType === 'DequantizeLinear');
    expect(dq.every((n) => n.input(1)!.initializer!.size === 1 && n.getAttr('axis') === undefined)).toBe(true);
    const asym = mixedModel();
    await quantize(asym, { mode: 'weights-int8', symmetric: false });
    const zps = [...asym.graph.nodes].filter((n) => n.opType === 'DequantizeLinear').map((n) => n.input(2)!.initializer!);
    expect(zps.every((z) => z.dtype === DataType.UINT8)).toBe(true);
    expect(zps.some((z) => Array.from(typedData(z) as Uint8Array).some((v) => v !== 128 && v !== 0))).toBe(true);
  });

  it('quantizes weights inside If branches and leaves excluded nodes with the reason', async () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', DataType.FLOAT, [1, 4]);
    const cond = b.input('cond', DataType.BOOL, []);
    const branch = (name: string, seed: number) => {
      const g = new Graph(name);
      const w = g.addInitializer(`${name}_w`, float32Tensor([4, 4], randomFloats(16, seed)));
      const n = new Node({ opType: 'MatMul', name: `${name}_mm`, inputs: [x, w], outputs: [`${name}_out`] });
      g.appendNode(n);
      n.output().type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [1, 4] };
      g.outputs = [n.output()];
      return g;
    };
    const y = b.op('If', [cond], { name: 'branch', attributes: { then_branch: attr.graph(branch('then', 1)), else_branch: attr.graph(branch('else', 2)) } });
    b.output(b.op('MatMul', [y, b.initializer('head', float32Tensor([4, 2], randomFloats(8, 3)))], { name: 'head_mm' }), DataType.FLOAT, [1, 2]);
    const result = await quantize(b.model, { mode: 'weights-int8', exclude: ['head_mm'] });
    expect(result.quantized).toBe(2);
    expect(result.skipped).toEqual([expect.objectContaining({ code: 'excluded', node: 'head_mm', opType: 'MatMul' })]);
    const ifNode = [...b.model.graph.nodes].find((n) => n.opType === 'If')!;
    for (const sub of ifNode.subgraphs()) expect([...sub.nodes].map((n) => n.opType)).toEqual(['DequantizeLinear', 'MatMul']);
    expect(checkModel(b.model)).toEqual([]);
  });

  it('raises opset 9 models to 13 for per-channel scales', async () => {
    const model = mixedModel(9);
    await quantize(model, { mode: 'weights-int8' });
    expect(model.opset()).toBe(13);
    const runner = await createNodeRunner(encodeModel(model));
    await runner.dispose();
  });
});

describe('dynamic', () => {
  it('emits the form onnxruntime fuses into DynamicQuantizeMatMul, and keeps convolutions float with the reason', async () => {
    const model = mixedModel();
    const result = await quantize(model, { mode: 'dynamic' });
    expect(result.quantized).toBe(3); // Gemm, MatMul, Gemm
    expect(result.skipped.map((d) => [d.opType, d.code])).toEqual([
      ['Conv', 'conv-kept-float'],
      ['ConvTranspose', 'conv-kept-float'],
    ]);
    expect(result.notes[0]).toMatch(/Convolutions stay float in dynamic mode/);
    expect(checkModel(model)).toEqual([]);
    const seq = ops(model);
    expect(seq.filter((o) => o === 'DynamicQuantizeLinear')).toHaveLength(3);
    expect(seq.filter((o) => o === 'MatMulInteger')).toHaveLength(3);
    // Gemm with a bias ends in Add(Mul(Cast(MatMulInteger), Mul(x_scale, w_scale)), bias).
    const add = [...model.graph.nodes].find((n) => n.opType === 'Add')!;
    expect(add.input(0)!.producer()!.opType).toBe('Mul');
    expect(add.input(1)!.name).toBe('fc1_b');

    // onnxruntime fuses each MatMul into one DynamicQuantizeMatMul when it loads the model.
    const optimized = join(tempDir('dyn-optimized'), 'optimized.onnx');
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'all', optimizedModelFilePath: optimized });
    await session.release();
    const { readModelFile } = await import('../node/model-files.js');
    const fused = ops(readModelFile(optimized).model);
    expect(fused.filter((o) => o === 'DynamicQuantizeMatMul')).toHaveLength(3);
    expect(fused).not.toContain('MatMulInteger');

  });

  it('computes what DynamicQuantizeLinear + integer MatMul define (checked against a JS simulation)', async () => {
    // 7-bit weights (--reduce-range) so that no int8 kernel can saturate: on AVX2 without VNNI,
    // u8×s8 pairs summed in 16 bits saturate with full-range weights, and the result would depend
    // on the machine.
    const w = randomFloats(16 * 12, 6, 0.3);
    const build = () => {
      const b = new GraphBuilder(13);
      const x = b.input('x', DataType.FLOAT, [4, 16]);
      b.output(b.op('MatMul', [x, b.initializer('w', float32Tensor([16, 12], w))]), DataType.FLOAT, [4, 12]);
      return b.model;
    };
    const model = build();
    await quantize(model, { mode: 'dynamic', reduceRange: true });
    const wq = typedData(model.graph.initializers.get('w_quantized')!.initializer!) as Int8Array;
    const ws = toFloat32(model.graph.initializers.get('w_scale')!.initializer!);
    expect(Math.max(...Array.from(wq, Math.abs))).toBeLessThanOrEqual(64);
    const x = randomFloats(64, 1);
    const out = Object.values(await runOnce(encodeModel(model), { x: { dtype: DataType.FLOAT, dims: [4, 16], data: x } }))[0]!.data as Float32Array;
    // DynamicQuantizeLinear as the ONNX spec defines it, then the integer product and the two scales.
    const lo = Math.min(0, ...x);
    const hi = Math.max(0, ...x);
    const xs = Math.fround((hi - lo) / 255);
    const xz = Math.min(255, Math.max(0, roundHalfToEven(-lo / xs)));
    const xq = Array.from(x, (v) => Math.min(255, Math.max(0, roundHalfToEven(Math.fround(v / xs)) + xz)));
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 12; j++) {
        let acc = 0;
        for (let k = 0; k < 16; k++) acc += (xq[i * 16 + k]! - xz) * wq[k * 12 + j]!;
        expect(out[i * 12 + j]).toBeCloseTo(acc * Math.fround(xs * ws[j]!), 5);
      }
    }
    // And close to float on these inputs.
    const float = Object.values(await runOnce(encodeModel(build()), { x: { dtype: DataType.FLOAT, dims: [4, 16], data: x } }))[0]!.data as Float32Array;
    const fidelity = new FidelityAccumulator();
    fidelity.add(float, out);
    expect(fidelity.result().cosine).toBeGreaterThan(0.999);
  });
});

describe('weights already on one int8 grid (a model dequantized from int8)', () => {
  /** x → MatMul(onGrid) → MatMul(random): the first weight is s·q for int8 q with one scale s. */
  function gridModel(): Model {
    const b = new GraphBuilder(13);
    const x = b.input('x', DataType.FLOAT, [2, 16]);
    const codes = randomFloats(16 * 8, 31, 127).map((v) => Math.round(v) + 0); // + 0: no -0, which comes back as 0
    codes[0] = 127; // the range a quantizer recovers the scale from
    const onGrid = Float32Array.from(codes, (q) => Math.fround(q * Math.fround(0.0123)));
    const h = b.op('MatMul', [x, b.initializer('grid_w', float32Tensor([16, 8], onGrid))]);
    b.output(b.op('MatMul', [h, b.initializer('free_w', float32Tensor([8, 4], randomFloats(32, 32, 0.4)))]), DataType.FLOAT, [2, 4]);
    return b.model;
  }

  it('are quantized per tensor, giving every value back exactly, and said so; other weights stay per channel', async () => {
    const x = { dtype: DataType.FLOAT, dims: [2, 16], data: randomFloats(32, 33, 1) };
    for (const mode of ['weights-int8', 'dynamic', 'int8'] as const) {
      const model = gridModel();
      const original = toFloat32(model.graph.initializers.get('grid_w')!.initializer!);
      const result = await quantize(model, mode === 'int8' ? { mode, calibrate: minMaxCalibrator([{ x }]) } : { mode });
      expect(result.notes.join('\n'), mode).toContain("1 weight(s) ('grid_w') already sat on one 8-bit grid each, as in a model dequantized from int8: they were quantized per tensor");
      const scale = (name: string) => model.graph.initializers.get(name)!.initializer!;
      expect(scale('grid_w_scale').dims, mode).toEqual([]);
      expect(scale('free_w_scale').dims, mode).toEqual([4]);
      const q = typedData(scale('grid_w_quantized')) as Int8Array;
      const s = toFloat32(scale('grid_w_scale'))[0]!;
      expect(Float32Array.from(q, (v) => Math.fround(v * s)), mode).toEqual(original);
      expect(checkModel(model), mode).toEqual([]);
      await runOnce(encodeModel(model), { x });
    }
  });

  it('need no note with --per-tensor, where every weight is per tensor anyway', async () => {
    const model = gridModel();
    const result = await quantize(model, { mode: 'weights-int8', perTensor: true });
    expect(result.notes.join('\n')).not.toContain('one 8-bit grid');
  });
});

describe('every mode', () => {
  it('is deterministic and records provenance', async () => {
    const a = mixedModel();
    const b = mixedModel();
    await quantize(a, { mode: 'dynamic' });
    await quantize(b, { mode: 'dynamic' });
    const bytes = encodeModel(a);
    expect(Buffer.from(bytes).equals(Buffer.from(encodeModel(b)))).toBe(true);
    const meta = Object.fromEntries(decodeModel(bytes).metadataProps);
    expect(meta['lowbit.mode']).toBe('dynamic');
    expect(meta['lowbit.version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(JSON.parse(meta['lowbit.options']!)).toEqual({ mode: 'dynamic' });
  });

  it('refuses an already-quantized model, naming what is quantized', async () => {
    const model = mixedModel();
    await quantize(model, { mode: 'weights-int8' });
    await expect(quantize(model, { mode: 'dynamic' })).rejects.toThrow(/already quantized \(DequantizeLinear ×5\); lowbit does not quantize twice/);
  });

  it('says there is nothing to quantize, and leaves the model unchanged', async () => {
    const b = new GraphBuilder(13);
    b.output(b.op('Relu', [b.input('x', DataType.FLOAT, [4])]), DataType.FLOAT, [4]);
    const before = encodeModel(b.model);
    const result = await quantize(b.model, { mode: 'weights-int8' });
    expect(result.noop).toBe(true);
    expect(Buffer.from(encodeModel(b.model)).equals(Buffer.from(before))).toBe(true);
  });

  it('refuses an unknown mode', async () => {
    await expect(quantize(mixedModel(), { mode: 'int3' as never })).rejects.toThrow(/unknown mode 'int3'/);
  });

  it('checks its arguments before any work: a Model, options the mode reads, names that exist', async () => {
    const model = mixedModel();
    const before = encodeModel(model);
    await expect(quantize({ model } as unknown as Model, { mode: 'weights-int8' })).rejects.toThrow('quantize() takes a Model: give readModelFile(path).model');
    await expect(quantize(model, undefined as never)).rejects.toMatchObject({ code: 'bad-option' });
    await expect(quantize(model, { mode: 'weights-int8', blockSize: 64, activations: 'int16' })).rejects.toThrow('activations is for mode int8; blockSize is for mode int4, not weights-int8');
    await expect(quantize(model, { mode: 'int8', activations: 'int3' as never, calibrate: async () => ({ ranges: new Map() }) })).rejects.toThrow("activations must be one of uint8, int8, uint16, int16, got 'int3'");
    await expect(quantize(model, { mode: 'weights-int8', exclude: 'Conv' as never })).rejects.toThrow('exclude takes an array of names, got "Conv"');
    await expect(quantize(model, { mode: 'int4', int4Format: 'qdq', gatherBits: 8 })).rejects.toThrow('--gather-bits writes com.microsoft GatherBlockQuantized');
    // A typo would do nothing; a string 'false' would read as true; a method name is not a calibrator.
    await expect(quantize(model, { mode: 'int4', blocksize: 32 } as never)).rejects.toThrow("unknown option 'blocksize' (did you mean 'blockSize'?)");
    await expect(quantize(model, { mode: 'weights-int8', reduceRange: 'false' } as never)).rejects.toThrow('reduceRange takes true or false, got "false"');
    await expect(quantize(model, { mode: 'int8', calibrate: 'entropy' } as never)).rejects.toThrow('calibrate takes a function (nodeCalibrator(source) makes one), got "entropy"');
    expect(encodeModel(model)).toEqual(before); // nothing was touched
    const result = await quantize(model, { mode: 'weights-int8', exclude: ['Gemm', 'NoSuchNode'] });
    expect(result.warnings).toContainEqual(expect.objectContaining({ code: 'exclude-unmatched', reason: expect.stringContaining("'NoSuchNode' matches no node name or op type") }));
    expect(result.skipped.filter((d) => d.code === 'excluded').map((d) => d.opType)).toEqual(['Gemm', 'Gemm']);
    // A name that matches only ops the mode never rewrites changes nothing, and says so.
    const idle = await quantize(mixedModel(), { mode: 'int8', exclude: ['Relu', 'Gemm'], calibrate: minMaxCalibrator([feeds(3)]) });
    expect(idle.warnings).toContainEqual(expect.objectContaining({ code: 'exclude-no-effect', reason: expect.stringContaining("exclude: 'Relu' names no node that mode int8 quantizes") }));
    expect(idle.warnings.find((w) => w.code === 'exclude-no-effect')!.reason).not.toContain('Gemm');
  });

  it('int8: a calibrate function that returns no ranges map, or a range that is not finite, fails naming the tensor', async () => {
    await expect(quantize(mixedModel(), { mode: 'int8', calibrate: async () => ({}) as never })).rejects.toMatchObject({ code: 'bad-calibration' });
    await expect(quantize(mixedModel(), { mode: 'int8', calibrate: async () => undefined as never })).rejects.toMatchObject({ code: 'bad-calibration' });
    const nanFirst = async (_m: Model, tensors: string[]) => ({ ranges: new Map(tensors.map((t, i) => [t, { min: i === 0 ? NaN : -1, max: 1 }])) });
    await expect(quantize(mixedModel(), { mode: 'int8', calibrate: nanFirst })).rejects.toThrow(/calibration gave tensor 'x' the range \[NaN, 1\]/);
  });

  it('leaves attribute-typed tensors alone', async () => {
    const model = mixedModel();
    await quantize(model, { mode: 'weights-int8' });
    for (const node of model.graph.nodes) for (const a of node.attributes.values()) expect(a.type).not.toBe(AttrType.TENSOR);
  });
});

describe('unnamed nodes', () => {
  // Node names are optional in ONNX; some exporters leave them all empty.
  const unnamed = (model: Model) => {
    for (const node of model.graph.nodes) node.name = '';
    return model;
  };
  const withTable = () => {
    const b = new GraphBuilder(13);
    const ids = b.input('ids', DataType.INT64, [1, 5]);
    const rows = b.op('Gather', [b.initializer('table', float32Tensor([50, 16], randomFloats(800, 3))), ids]);
    const y = b.op('MatMul', [rows, b.initializer('w', float32Tensor([16, 8], randomFloats(128, 4, 0.3)))]);
    b.output(y, DataType.FLOAT, [1, 5, 8]);
    return b.model;
  };
  const idFeeds: Feeds = { ids: { dtype: DataType.INT64, dims: [1, 5], data: BigInt64Array.from([0n, 7n, 49n, 7n, 3n]) } };

  it('are quantized in every mode, and the result runs in onnxruntime', async () => {
    const cases: [string, () => Model, Parameters<typeof quantize>[1], Feeds][] = [
      ['weights-int8', mixedModel, { mode: 'weights-int8' }, feeds()],
      ['dynamic', mixedModel, { mode: 'dynamic' }, feeds()],
      ['dynamic with a table', withTable, { mode: 'dynamic' }, idFeeds],
      ['weights-int8 with a table', withTable, { mode: 'weights-int8', gather: true }, idFeeds],
      ['int8', mixedModel, { mode: 'int8', calibrate: minMaxCalibrator([feeds(3)]) }, feeds()],
      ['int4', withTable, { mode: 'int4', blockSize: 16, gatherBits: 4 }, idFeeds],
      ['fp16', mixedModel, { mode: 'fp16' }, feeds()],
    ];
    for (const [label, build, options, input] of cases) {
      const model = unnamed(build());
      const result = await quantize(model, options);
      expect(result.quantized, label).toBeGreaterThan(0);
      const [float, quantized] = [await runOnce(encodeModel(build()), input), await runOnce(encodeModel(model), input)];
      const acc = new FidelityAccumulator();
      acc.add(Object.values(float)[0]!.data as Float32Array, Object.values(quantized)[0]!.data as Float32Array);
      expect(acc.result().cosine, label).toBeGreaterThan(0.95);
    }
  });
});

describe('embedding tables', () => {
  it('are int8 per row and dequantized after the lookup, computing exactly the dequantized table', async () => {
    const build = () => {
      const b = new GraphBuilder(13);
      const ids = b.input('ids', DataType.INT64, [1, 5]);
      const table = b.initializer('table', float32Tensor([50, 8], randomFloats(400, 3)));
      b.output(b.op('Gather', [table, ids]), DataType.FLOAT, [1, 5, 8]);
      return b.model;
    };
    const model = build();
    const result = await quantize(model, { mode: 'dynamic' });
    expect(result.quantized).toBe(1);
    expect(ops(model)).toEqual(['Gather', 'Cast', 'Gather', 'Mul']);
    // Only what the graph reads is written: the int8 rows and one scale per row (not also the
    // store's scale and zero-point vectors, which onnxruntime would warn about at every load).
    expect([...model.graph.initializers.keys()].sort()).toEqual(['table_quantized', 'table_row_scales']);
    expect(result.weightBytes).toEqual({ before: 50 * 8 * 4, after: 50 * 8 + 50 * 4 });
    const q = typedData(model.graph.initializers.get('table_quantized')!.initializer!) as Int8Array;
    const scales = toFloat32(model.graph.initializers.get('table_row_scales')!.initializer!);
    const ids = BigInt64Array.from([0n, 7n, 49n, 7n, 3n]);
    const out = Object.values(await runOnce(encodeModel(model), { ids: { dtype: DataType.INT64, dims: [1, 5], data: ids } }))[0]!.data as Float32Array;
    const float = toFloat32(build().graph.initializers.get('table')!.initializer!);
    ids.forEach((id, r) => {
      for (let d = 0; d < 8; d++) {
        const row = Number(id);
        expect(out[r * 8 + d]).toBe(Math.fround(q[row * 8 + d]! * scales[row]!));
        expect(Math.abs(out[r * 8 + d]! - float[row * 8 + d]!)).toBeLessThanOrEqual(scales[row]! / 2 + 1e-7);
      }
    });
    // A table two Gathers read is quantized once, with one column of row scales.
    const b = new GraphBuilder(13);
    const table = b.initializer('table', float32Tensor([50, 8], randomFloats(400, 3)));
    b.output(b.op('Gather', [table, b.input('a', DataType.INT64, [1, 5])]), DataType.FLOAT, [1, 5, 8]);
    b.output(b.op('Gather', [table, b.input('b', DataType.INT64, [1, 5])]), DataType.FLOAT, [1, 5, 8]);
    const shared = await quantize(b.model, { mode: 'dynamic' });
    expect(shared.quantized).toBe(2);
    expect([...b.model.graph.initializers.keys()].sort()).toEqual(['table_quantized', 'table_row_scales']);
    expect(shared.weightBytes).toEqual({ before: 50 * 8 * 4, after: 50 * 8 + 50 * 4 });
    const perTensor = build();
    await quantize(perTensor, { mode: 'weights-int8', gather: true, perTensor: true });
    expect(ops(perTensor)).toEqual(['Gather', 'DequantizeLinear']);
  });
});
