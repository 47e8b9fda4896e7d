import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { float32Tensor, toFloat32 } from '../../ir/tensor/values.js';
import { FidelityAccumulator } from '../../eval/metrics.js';
import { quantizeWeight } from '../../quant/weights.js';
import { encodeModel } from '../../serde/encode.js';
import { quantize } from '../quantize.js';
import { meanShift } from './bias-correction.js';
import { biasCorrectionNote } from './bias-correction-note.js';
import { calibrationOf, edgeNet, smoothImages } from '../../../test/helpers/edge-net.js';
import { minMaxCalibrator } from '../../../test/helpers/minmax-calibrator.js';
import { randomFloats, runOnce } from '../../../test/helpers/ort.js';
import { lowbit } from '../../../test/helpers/cli.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One Conv (group 2, no padding) or Gemm (transB) with the given weight and bias. */
function layer(op: 'Conv' | 'Gemm', weight: Float32Array, bias: Float32Array): Model {
  const b = new GraphBuilder(13);
  if (op === 'Conv') {
    const x = b.input('x', DataType.FLOAT, [1, 4, 5, 5]);
    const y = b.op('Conv', [x, b.initializer('w', float32Tensor([6, 2, 3, 3], weight)), b.initializer('b', float32Tensor([6], bias))], { name: 'layer', attributes: { group: attr.int(2) } });
    b.output(y, DataType.FLOAT, [1, 6, 3, 3]);
  } else {
    const x = b.input('x', DataType.FLOAT, [3, 8]);
    const y = b.op('Gemm', [x, b.initializer('w', float32Tensor([5, 8], weight)), b.initializer('b', float32Tensor([5], bias))], { name: 'layer', attributes: { transB: attr.int(1) } });
    b.output(y, DataType.FLOAT, [3, 5]);
  }
  return b.model;
}

describe('bias correction: the shift (W − Ŵ)·E[x]', () => {
  for (const op of ['Conv', 'Gemm'] as const) {
    it(`${op}: with Ŵ and bias + shift, inputs equal to their channel means give exactly the float layer's output (onnxruntime)`, async () => {
      const [count, dims, channels] = op === 'Conv' ? [6 * 2 * 9, [6, 2, 3, 3], 4] : [5 * 8, [5, 8], 8];
      // Large taps that nearly cancel, as a folded batch norm leaves them: rounding moves their sum.
      const weight = randomFloats(count, 11, 30);
      const bias = randomFloats(dims[0]!, 12, 1);
      const mean = Float64Array.from(randomFloats(channels, 13, 2), (v) => v + 1);
      const float = layer(op, weight, bias);
      const node = [...float.graph.nodes][0]!;
      const tensor = node.input(1)!.constTensor()!;
      const quantized = quantizeWeight(weight, dims, { axis: 0 });
      const shift = meanShift(node, tensor, quantized, mean)!;
      const dequantized = Float32Array.from(quantized.values, (q, i) => q * quantized.scales[Math.floor(i / (count / dims[0]!))]!);
      const rounded = layer(op, dequantized, bias);
      const corrected = layer(op, dequantized, Float32Array.from(bias, (b, o) => b + shift[o]!));
      const x = new Float32Array(op === 'Conv' ? 4 * 25 : 3 * 8);
      for (let i = 0; i < x.length; i++) x[i] = mean[op === 'Conv' ? Math.floor(i / 25) : i % 8]!;
      const feeds = { x: { dtype: DataType.FLOAT, dims: op === 'Conv' ? [1, 4, 5, 5] : [3, 8], data: x } };
      const run = async (m: Model) => (await runOnce(encodeModel(m), feeds))[m.graph.outputs[0]!.name]!.data as Float32Array;
      const [want, off, fixed] = [await run(float), await run(rounded), await run(corrected)];
      const worst = (a: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - want[i]!)));
      expect(worst(off)).toBeGreaterThan(1e-2);
      expect(worst(fixed)).toBeLessThan(2e-4 * Math.max(...want.map(Math.abs)));
    });
  }
});

describe('static int8 with biasCorrection', () => {
  const calib = smoothImages(6, 3, 24, 24, 10);
  const held = smoothImages(4, 3, 24, 24, 50);
  const fidelity = async (model: Model) => {
    const acc = new FidelityAccumulator();
    const name = model.graph.outputs[0]!.name;
    let meanError = 0;
    for (const feeds of held) {
      const want = (await runOnce(encodeModel(edgeNet()), feeds))[name]!.data as Float32Array;
      const got = (await runOnce(encodeModel(model), feeds))[name]!.data as Float32Array;
      acc.add(want, got);
      for (let i = 0; i < want.length; i++) meanError += (got[i]! - want[i]!) / want.length / held.length;
    }
    return { ...acc.result(), meanError };
  };

  for (const activations of ['uint8', 'uint16'] as const) {
    it(`${activations} activations: keeps the form, moves only the int32 biases, and takes the mean error out of the edge net on held-out inputs`, async () => {
      const plain = edgeNet();
      const corrected = edgeNet();
      await quantize(plain, { mode: 'int8', activations, calibrate: minMaxCalibrator(calib) });
      const result = await quantize(corrected, { mode: 'int8', activations, calibrate: minMaxCalibrator(calib), biasCorrection: true, weightCalibration: calibrationOf(calib) });
      expect(result.notes.join(' ')).toContain('Bias correction: 3 Conv/Gemm bias(es) take back the mean drift');
      // The bits of the input it names are the activations' own.
      expect(result.notes.join(' ')).toContain(`from rounding the weight and the ${activations === 'uint16' ? 16 : 8}-bit input`);
      // c1 and c3 had no bias: the file grows by the ones they are given, and the note says so.
      expect(result.notes.join(' ')).toContain('2 of these layer(s) had no bias and were given one, which grows the file');
      // The same nodes, plus a DequantizeLinear for each int32 bias c1 and c3 gain.
      const ops = (m: Model) => [...m.graph.nodes].map((n) => n.opType);
      const computing = (m: Model) => ops(m).filter((o) => o !== 'DequantizeLinear');
      expect(computing(corrected)).toEqual(computing(plain));
      expect(ops(corrected).length).toBe(ops(plain).length + 2);
      const inits = (m: Model) => new Map([...m.graph.initializers.values()].map((v) => [v.name, toFloat32(v.initializer!)]));
      const [a, b] = [inits(plain), inits(corrected)];
      const biases = [...b.keys()].filter((n) => /bias|b2/.test(n) && n.endsWith('_quantized'));
      expect(biases.length).toBe(3);
      for (const name of a.keys()) if (name.endsWith('_quantized') && !biases.includes(name)) expect(b.get(name), name).toEqual(a.get(name));
      const [fp, fc] = [await fidelity(plain), await fidelity(corrected)];
      process.stderr.write(`edge net held-out, ${activations} activations: SQNR ${fp.sqnrDb.toFixed(2)} → ${fc.sqnrDb.toFixed(2)} dB, mean error ${fp.meanError.toFixed(5)} → ${fc.meanError.toFixed(5)} with bias correction\n`);
      // With 8-bit activations the plain net's mean error happens to be near zero (the weights' and
      // the activations' drifts cancel), so only the error as a whole is compared there.
      if (activations === 'uint16') expect(Math.abs(fc.meanError)).toBeLessThan(Math.abs(fp.meanError) / 3);
      expect(fc.sqnrDb).toBeGreaterThan(fp.sqnrDb);
      expect(JSON.parse(new Map(corrected.metadataProps).get('lowbit.options')!)).toMatchObject({ biasCorrection: true });
    });
  }

  it('weights-int8: float biases take back (W − Ŵ)·E[x]; the same weights, closer to float on held-out inputs', async () => {
    const plain = edgeNet();
    const corrected = edgeNet();
    await quantize(plain, { mode: 'weights-int8' });
    const result = await quantize(corrected, { mode: 'weights-int8', biasCorrection: true, weightCalibration: calibrationOf(calib) });
    expect(result.notes.join(' ')).toContain('Bias correction: 3 Conv/Gemm bias(es) take back the mean drift (W − Ŵ)·E[x]');
    expect(result.notes.join(' ')).toContain('2 of these layer(s) had no bias and were given one, which grows the file');
    expect([...corrected.graph.nodes].map((n) => n.opType)).toEqual([...plain.graph.nodes].map((n) => n.opType));
    const inits = (m: Model) => new Map([...m.graph.initializers.values()].map((v) => [v.name, toFloat32(v.initializer!)]));
    const [a, b] = [inits(plain), inits(corrected)];
    for (const name of a.keys()) if (name.endsWith('_quantized') || name.endsWith('_scale')) expect(b.get(name), name).toEqual(a.get(name));
    expect([...b.keys()].filter((n) => n.endsWith('_corrected')).length).toBe(3);
    const [fp, fc] = [await fidelity(plain), await fidelity(corrected)];
    process.stderr.write(`edge net held-out, weights-int8: SQNR ${fp.sqnrDb.toFixed(2)} → ${fc.sqnrDb.toFixed(2)} dB, mean error ${fp.meanError.toFixed(5)} → ${fc.meanError.toFixed(5)} with bias correction\n`);
    expect(Math.abs(fc.meanError)).toBeLessThan(Math.abs(fp.meanError) / 3);
    expect(fc.sqnrDb).toBeGreaterThan(fp.sqnrDb + 0.3);
  });

  it('needs calibration samples: a clear error from the library and the CLI', async () => {
    await expect(quantize(edgeNet(), { mode: 'int8', calibrate: minMaxCalibrator(calib), biasCorrection: true })).rejects.toThrow('bias correction needs calibration samples');
    const dir = tempDir('bias-correction');
    const model = join(dir, 'edge.onnx');
    writeFileSync(model, encodeModel(edgeNet()));
    const noCalib = lowbit(['quantize', model, '-o', join(dir, 'out.onnx'), '--mode', 'int8', '--bias-correction', '--calib', 'random']);
    expect(noCalib.code).toBe(2);
    expect(noCalib.stderr).toContain('--bias-correction needs real calibration samples');
    await expect(quantize(edgeNet(), { mode: 'weights-int8', biasCorrection: true })).rejects.toThrow('bias correction needs calibration samples');
    const otherMode = lowbit(['quantize', model, '-o', join(dir, 'out.onnx'), '--mode', 'dynamic', '--bias-correction']);
    expect(otherMode.code).toBe(2);
    expect(otherMode.stderr).toMatch(/bias-correction.*int8/);
    expect(existsSync(join(dir, 'out.onnx'))).toBe(false);
  });
});

/** x [2, 8] → MatMul → Relu → MatMul: layers with a quantized weight and no bias input. */
function matMuls(): Model {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [2, 8]);
  const h = b.op('Relu', [b.op('MatMul', [x, b.initializer('w1', float32Tensor([8, 6], randomFloats(48, 21, 0.5)))], { name: 'm1' })]);
  b.output(b.op('MatMul', [h, b.initializer('w2', float32Tensor([6, 4], randomFloats(24, 22, 0.5)))], { name: 'm2' }), DataType.FLOAT, [2, 4]);
  return b.model;
}

/** x [1, 3, 8, 8] → Conv (with a bias) → ConvTranspose (stride 2). */
function convThenTranspose(): Model {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [1, 3, 8, 8]);
  const c = b.op('Conv', [x, b.initializer('w1', float32Tensor([4, 3, 3, 3], randomFloats(108, 23, 0.5))), b.initializer('b1', float32Tensor([4], randomFloats(4, 24, 0.5)))], { name: 'c', attributes: { pads: attr.ints([1, 1, 1, 1]) } });
  const t = b.op('ConvTranspose', [c, b.initializer('w2', float32Tensor([4, 2, 2, 2], randomFloats(32, 25, 0.5)))], { name: 't', attributes: { strides: attr.ints([2, 2]) } });
  b.output(t, DataType.FLOAT, [1, 2, 16, 16]);
  return b.model;
}

describe('bias correction notes', () => {
  const rows = (count: number, seed: number) => Array.from({ length: count }, (_, i) => ({ x: { dtype: DataType.FLOAT, dims: [2, 8], data: randomFloats(16, seed + i, 2) } }));

  it('when it corrects nothing, says plainly that it changed nothing and why, naming only the op types the model has', async () => {
    for (const mode of ['int8', 'weights-int8'] as const) {
      const samples = rows(3, 30);
      const result = await quantize(matMuls(), { mode, ...(mode === 'int8' ? { calibrate: minMaxCalibrator(samples) } : {}), biasCorrection: true, weightCalibration: calibrationOf(samples) });
      const note = result.notes.find((n) => n.startsWith('Bias correction'));
      expect(note, mode).toBe('Bias correction changed nothing: none of the 2 layer(s) with a quantized weight is one it corrects: MatMul ×2 (no bias input).');
    }
    // No layer with a quantized weight at all.
    expect(biasCorrectionNote({ layers: 0, corrected: 0, added: 0, inputBits: [], samples: 0, uncovered: [] }, 'int8')).toBe(
      'Bias correction changed nothing: no layer had its weight quantized (it corrects the biases of Conv and Gemm layers with quantized weights).',
    );
  });

  it('gives each uncovered op type its own reason: a ConvTranspose, not a MatMul the model does not have', async () => {
    const samples = Array.from({ length: 3 }, (_, i) => ({ x: { dtype: DataType.FLOAT, dims: [1, 3, 8, 8], data: randomFloats(192, 40 + i, 2) } }));
    const result = await quantize(convThenTranspose(), { mode: 'weights-int8', biasCorrection: true, weightCalibration: calibrationOf(samples) });
    const note = result.notes.find((n) => n.startsWith('Bias correction'))!;
    expect(note).toContain('Bias correction: 1 Conv/Gemm bias(es) take back');
    expect(note).toContain('; not done for ConvTranspose ×1 (its taps spread unevenly over the output).');
    expect(note).not.toContain('MatMul');
    expect(note).not.toContain('given one');
  });
});
