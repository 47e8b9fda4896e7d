import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { float32Tensor } from '../../ir/tensor/values.js';
import { checkModel } from '../../ir/checker.js';
import type { Model } from '../../ir/model.js';
import { encodeModel } from '../../serde/encode.js';
import { readModelFile } from '../../node/model-files.js';
import { FidelityAccumulator } from '../../eval/metrics.js';
import type { Feeds } from '../../runner/runner.js';
import { quantize } from '../quantize.js';
import { minMaxCalibrator } from '../../../test/helpers/minmax-calibrator.js';
import { randomFloats, runOnce } from '../../../test/helpers/ort.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

/** A small segmentation-like net: conv+BN+relu, maxpool, conv+relu6, resize up, concat skip, conv, sigmoid. */
function unetish(): Model {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [1, 3, 32, 32]);
  const conv = (name: string, input: ReturnType<typeof b.input>, cin: number, cout: number, seed: number) =>
    b.op('Conv', [input, b.initializer(`${name}_w`, float32Tensor([cout, cin, 3, 3], randomFloats(cout * cin * 9, seed, 0.4))), b.initializer(`${name}_b`, float32Tensor([cout], randomFloats(cout, seed + 1, 0.1)))], {
      name,
      attributes: { pads: attr.ints([1, 1, 1, 1]) },
    });
  const c1 = conv('c1', x, 3, 8, 1);
  const bn = b.op('BatchNormalization', [c1, ...['g', 'beta', 'mean', 'var'].map((n, i) => b.initializer(`bn_${n}`, float32Tensor([8], Array.from(randomFloats(8, 10 + i, 0.5), (v) => (n === 'var' || n === 'g' ? 1 + Math.abs(v) : v)))))], { name: 'bn' });
  const r1 = b.op('Relu', [bn], { name: 'r1' });
  const p = b.op('MaxPool', [r1], { name: 'pool', attributes: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } });
  const c2 = conv('c2', p, 8, 8, 3);
  const r2 = b.op('Clip', [c2, b.initializer('zero', float32Tensor([], [0])), b.initializer('six', float32Tensor([], [6]))], { name: 'relu6' });
  const up = b.op('Resize', [r2, null, b.initializer('scales', float32Tensor([4], [1, 1, 2, 2]))], { name: 'up', attributes: { mode: attr.string('nearest') } });
  const cat = b.op('Concat', [up, r1], { name: 'cat', attributes: { axis: attr.int(1) } });
  const c3 = conv('c3', cat, 16, 1, 5);
  b.output(b.op('Sigmoid', [c3], { name: 'mask' }), DataType.FLOAT, [1, 1, 32, 32]);
  return b.model;
}

const samples = (n: number, seed = 100): Feeds[] => Array.from({ length: n }, (_, i) => ({ x: { dtype: DataType.FLOAT, dims: [1, 3, 32, 32], data: randomFloats(3 * 32 * 32, seed + i) } }));
const ops = (m: Model) => [...m.graph.nodes].map((n) => n.opType);

/** The op types onnxruntime runs after its optimizations (its QDQ fusions included). */
async function fusedOps(model: Model): Promise<string[]> {
  const path = join(tempDir('static'), 'optimized.onnx');
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'all', optimizedModelFilePath: path });
  await session.release();
  return ops(readModelFile(path).model);
}

describe('static int8 (QDQ)', () => {
  it('folds BatchNormalization, absorbs Relu/Clip, shares scales through MaxPool/Resize/Concat, and keeps the output name', async () => {
    const model = unetish();
    const outputName = model.graph.outputs[0]!.name;
    const result = await quantize(model, { mode: 'int8', calibrate: minMaxCalibrator(samples(4)) });
    expect(checkModel(model)).toEqual([]);
    expect(ops(model)).not.toContain('BatchNormalization');
    expect(model.graph.outputs[0]!.name).toBe(outputName);
    expect(model.graph.outputs[0]!.producer()!.opType).toBe('DequantizeLinear');
    // Conv ×3, MaxPool, Resize, Concat, Sigmoid run quantized.
    expect(result.quantized).toBe(7);
    // Relu and Clip are kept in the graph (onnxruntime drops them) and their outputs are what is quantized.
    const reluOut = [...model.graph.nodes].find((n) => n.name === 'r1')!.output();
    expect(reluOut.uses().map((u) => u.node.opType)).toEqual(['QuantizeLinear']);
    // MaxPool's output shares the Relu output's scale: same scale initializer.
    const q = (v: { uses(): readonly { node: { opType: string; input(i: number): unknown } }[] }) => v.uses().find((u) => u.node.opType === 'QuantizeLinear')!.node;
    const pool = [...model.graph.nodes].find((n) => n.name === 'pool')!.output();
    expect(q(pool).input(1)).toBe(q(reluOut).input(1));
    // Concat's inputs and output share one scale as well.
    const cat = [...model.graph.nodes].find((n) => n.name === 'cat')!;
    expect(q(cat.output()).input(1)).toBe(q(reluOut).input(1));
    // Bias is int32.
    const biasDq = [...model.graph.nodes].filter((n) => n.opType === 'DequantizeLinear' && n.input(0)!.initializer?.dtype === DataType.INT32);
    expect(biasDq).toHaveLength(3);
  });

  it('leaves no float copy of a weight behind after folding BatchNormalization, a Conv → Mul → Add affine and a decomposed hardswish', async () => {
    const b = new GraphBuilder(14);
    const x = b.input('x', DataType.FLOAT, [1, 3, 16, 16]);
    const w = (name: string, cout: number, cin: number, seed: number) => b.initializer(name, float32Tensor([cout, cin, 3, 3], randomFloats(cout * cin * 9, seed, 0.4)));
    const perChannel = (name: string, seed: number) => b.initializer(name, float32Tensor([1, 8, 1, 1], Array.from(randomFloats(8, seed, 0.5), (v) => 1 + Math.abs(v))));
    const k = (name: string, v: number) => b.initializer(name, float32Tensor([], [v]));
    const c1 = b.op('Conv', [x, w('w1', 8, 3, 1)], { name: 'c1', attributes: { pads: attr.ints([1, 1, 1, 1]) } });
    const affine = b.op('Add', [b.op('Mul', [c1, perChannel('gain', 2)]), perChannel('shift', 3)]);
    const hswish = b.op('Div', [b.op('Mul', [affine, b.op('Clip', [b.op('Add', [affine, k('three', 3)]), k('zero', 0), k('six', 6)])]), k('six_d', 6)]);
    const c2 = b.op('Conv', [hswish, w('w2', 8, 8, 4)], { name: 'c2', attributes: { pads: attr.ints([1, 1, 1, 1]) } });
    const bn = b.op('BatchNormalization', [c2, ...['g', 'beta', 'mean', 'var'].map((n, i) => b.initializer(`bn_${n}`, float32Tensor([8], Array.from(randomFloats(8, 10 + i, 0.5), (v) => 1 + Math.abs(v)))))]);
    b.output(b.op('Relu', [bn]), DataType.FLOAT, [1, 8, 16, 16]);
    const model = b.model;
    const calib = Array.from({ length: 2 }, (_, i): Feeds => ({ x: { dtype: DataType.FLOAT, dims: [1, 3, 16, 16], data: randomFloats(3 * 16 * 16, 40 + i) } }));
    await quantize(model, { mode: 'int8', calibrate: minMaxCalibrator(calib) });
    expect(ops(model)).not.toContain('BatchNormalization');
    expect(ops(model)).toContain('HardSwish');
    const unread = [...model.graph.initializers.values()].filter((v) => v.uses().length === 0).map((v) => v.name);
    expect(unread).toEqual([]);
    const floatWeights = [...model.graph.initializers.values()].filter((v) => v.initializer!.dtype === DataType.FLOAT && v.initializer!.dims.length === 4);
    expect(floatWeights.map((v) => v.name)).toEqual([]);
  });

  it('lists a Mul left in float because its other operand comes from an op with no int8 kernel (an SE gate)', async () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', DataType.FLOAT, [1, 3, 8, 8]);
    const conv = b.op('Conv', [x, b.initializer('w', float32Tensor([4, 3, 3, 3], randomFloats(108, 7, 0.4)))], { name: 'conv', attributes: { pads: attr.ints([1, 1, 1, 1]) } });
    const gate = b.op('HardSigmoid', [b.op('GlobalAveragePool', [conv], { name: 'gap' })], { name: 'gate' });
    b.output(b.op('Mul', [conv, gate], { name: 'scale' }), DataType.FLOAT, [1, 4, 8, 8]);
    const model = b.model;
    const calib = [{ x: { dtype: DataType.FLOAT, dims: [1, 3, 8, 8], data: randomFloats(192, 3) } }];
    const result = await quantize(model, { mode: 'int8', calibrate: minMaxCalibrator(calib) });
    expect(result.skipped.find((d) => d.node === 'gate')?.code).toBe('no-int8-kernel');
    const mul = result.skipped.find((d) => d.node === 'scale');
    expect(mul?.code).toBe('float-operand');
    expect(mul?.reason).toMatch(/operand '.+' stays float \(made by HardSigmoid 'gate', which runs in float\); an int8 Mul needs every operand quantized/);
  });

  it('gives outputs close to float, and onnxruntime turns it into int8 kernels', async () => {
    const model = unetish();
    await quantize(model, { mode: 'int8', calibrate: minMaxCalibrator(samples(8)) });
    const test = samples(4, 500);
    const acc = new FidelityAccumulator();
    for (const feeds of test) {
      const f = await runOnce(encodeModel(unetish()), feeds);
      const q = await runOnce(encodeModel(model), feeds);
      const name = model.graph.outputs[0]!.name;
      acc.add(f[name]!.data as Float32Array, q[name]!.data as Float32Array);
    }
    expect(acc.result().cosine).toBeGreaterThan(0.99);

    const fused = await fusedOps(model);
    expect(fused.filter((o) => o === 'QLinearConv')).toHaveLength(3);
    expect(fused).not.toContain('Conv');
    expect(fused).not.toContain('Relu');
    expect(fused).toContain('QLinearSigmoid');
  });
  it('an excluded node reads the float tensor, not a DequantizeLinear, so onnxruntime cannot fuse it into int8 after all', async () => {
    const model = unetish();
    const result = await quantize(model, { mode: 'int8', calibrate: minMaxCalibrator(samples(4)), exclude: ['c2'] });
    expect(result.skipped.find((d) => d.node === 'c2')?.code).toBe('excluded');
    const c2 = [...model.graph.nodes].find((n) => n.name === 'c2')!;
    expect(c2.input(0)!.producer()!.opType).toBe('MaxPool');
    expect(c2.input(1)!.producer()).toBeUndefined();
    const fused = await fusedOps(model);
    expect(fused.filter((o) => o === 'QLinearConv')).toHaveLength(2);
    expect(fused.filter((o) => o === 'Conv' || o === 'FusedConv')).toHaveLength(1);
  });

  it('16-bit activations (opset 21 Q/DQ): closer to float than 8-bit, run in onnxruntime, and say they are not for speed', async () => {
    const fidelity = async (model: Model) => {
      const acc = new FidelityAccumulator();
      for (const feeds of samples(4, 500)) {
        const f = await runOnce(encodeModel(unetish()), feeds);
        const q = await runOnce(encodeModel(model), feeds);
        const name = model.graph.outputs[0]!.name;
        acc.add(f[name]!.data as Float32Array, q[name]!.data as Float32Array);
      }
      return acc.result().sqnrDb;
    };
    const eight = unetish();
    await quantize(eight, { mode: 'int8', calibrate: minMaxCalibrator(samples(8)) });
    const weightsOnly = unetish();
    await quantize(weightsOnly, { mode: 'weights-int8' });
    const [eightDb, weightsOnlyDb] = [await fidelity(eight), await fidelity(weightsOnly)];
    for (const [activations, dtype] of [['uint16', DataType.UINT16], ['int16', DataType.INT16]] as const) {
      const model = unetish();
      const result = await quantize(model, { mode: 'int8', activations, calibrate: minMaxCalibrator(samples(8)) });
      expect(checkModel(model)).toEqual([]);
      expect(model.opset()).toBe(21);
      const zeroPoints = [...model.graph.nodes].filter((n) => n.opType === 'QuantizeLinear').map((n) => n.input(2)!.initializer!.dtype);
      expect(zeroPoints.length).toBeGreaterThan(0);
      expect(new Set(zeroPoints)).toEqual(new Set([dtype]));
      expect(result.notes.join(' ')).toMatch(/for fidelity, not speed/);
      // 8 more bits of activation: less error than 8-bit, and about what the int8 weights alone cost.
      const db = await fidelity(model);
      expect(db).toBeGreaterThan(eightDb + 3);
      expect(db).toBeGreaterThan(weightsOnlyDb - 1);
    }
  });

  it('--wide-activations: the named tensor (and its scale group) gets 16-bit Q/DQ, the rest stays 8-bit and keeps its int8 kernels', async () => {
    const model = unetish();
    const wideName = [...model.graph.nodes].find((n) => n.name === 'c3')!.output().name;
    const result = await quantize(model, { mode: 'int8', wideActivations: [wideName], calibrate: minMaxCalibrator(samples(8)) });
    expect(checkModel(model)).toEqual([]);
    expect(model.opset()).toBe(21);
    const quantizers = [...model.graph.nodes].filter((n) => n.opType === 'QuantizeLinear');
    const typeOf = (n: (typeof quantizers)[number]) => n.input(2)!.initializer!.dtype;
    expect(quantizers.filter((n) => n.input(0)!.name === wideName).map(typeOf)).toEqual([DataType.UINT16]);
    expect(new Set(quantizers.filter((n) => n.input(0)!.name !== wideName).map(typeOf))).toEqual(new Set([DataType.UINT8]));
    expect(result.notes.join(' ')).toMatch(/16-bit activations for 1 tensor\(s\)/);
    // onnxruntime still fuses the two convolutions that neither read nor write the wide tensor.
    expect((await fusedOps(model)).filter((o) => o === 'QLinearConv')).toHaveLength(2);
  });

  it('--wide-activations refuses names that are not quantized activations, and 16-bit activations everywhere', async () => {
    await expect(quantize(unetish(), { mode: 'int8', wideActivations: ['no_such_tensor'], calibrate: minMaxCalibrator(samples(2)) })).rejects.toThrow(/--wide-activations: 'no_such_tensor' is not an activation tensor/);
    await expect(quantize(unetish(), { mode: 'int8', activations: 'uint16', wideActivations: ['x'], calibrate: minMaxCalibrator(samples(2)) })).rejects.toThrow(/every tensor is 16-bit already/);
  });
});
