import { describe, expect, it } from 'vitest';
import { attr } from '../ir/attribute.js';
import { GraphBuilder } from '../ir/builder.js';
import { DataType } from '../ir/dtype.js';
import { float32Tensor, toFloat32 } from '../ir/tensor/values.js';
import type { Model } from '../ir/model.js';
import { encodeModel } from '../serde/encode.js';
import { FidelityAccumulator } from '../eval/metrics.js';
import { createNodeRunner } from '../runner/ort-node.js';
import { collectHessians } from './hessians.js';
import { quantize } from './quantize.js';
import { gptqNotes, type GptqRoundingOutcome } from './gptq-weights.js';
import { minMaxCalibrator } from '../../test/helpers/minmax-calibrator.js';
import { randomFloats, runOnce } from '../../test/helpers/ort.js';
import { lowbit } from '../../test/helpers/cli.js';
import { calibrationOf, edgeNet, smoothImages, sourceOf, withDequantizedWeights } from '../../test/helpers/edge-net.js';

describe('Hessians of convolution patches', () => {
  it('equal 2·Σ pᵀp / rows over im2col patches, per group, with pads, strides and dilations', async () => {
    const [n, c, h, w] = [2, 4, 9, 7];
    const group = 2;
    const cg = c / group;
    const [kh, kw] = [3, 2];
    const pads = [1, 0, 1, 1];
    const strides = [2, 1];
    const dilations = [1, 2];
    const b = new GraphBuilder(13);
    const x = b.input('x', DataType.FLOAT, [n, c, h, w]);
    const y = b.op('Conv', [x, b.initializer('w', float32Tensor([6, cg, kh, kw], randomFloats(6 * cg * kh * kw, 3)))], {
      name: 'conv',
      attributes: { group: attr.int(group), pads: attr.ints(pads), strides: attr.ints(strides), dilations: attr.ints(dilations) },
    });
    b.output(y, DataType.FLOAT);
    const feeds = [1, 2].map((seed) => ({ x: { dtype: DataType.FLOAT, dims: [n, c, h, w], data: randomFloats(n * c * h * w, seed) } }));
    const k = cg * kh * kw;
    const attributes = { pads: attr.ints(pads), strides: attr.ints(strides), dilations: attr.ints(dilations) };
    const result = await collectHessians(b.model, [{ value: 'x', k, key: 'patches', patches: { group, channelsPerGroup: cg, kernelShape: [kh, kw], attributes } }], calibrationOf(feeds));

    const ho = Math.floor((h + pads[0]! + pads[2]! - dilations[0]! * (kh - 1) - 1) / strides[0]!) + 1;
    const wo = Math.floor((w + pads[1]! + pads[3]! - dilations[1]! * (kw - 1) - 1) / strides[1]!) + 1;
    const expected = new Float64Array(group * k * k);
    let rows = 0;
    for (const f of feeds) {
      const data = f.x.data as Float32Array;
      for (let s = 0; s < n; s++) for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
        rows++;
        for (let g = 0; g < group; g++) {
          const p: number[] = [];
          for (let ci = 0; ci < cg; ci++) for (let a = 0; a < kh; a++) for (let bb = 0; bb < kw; bb++) {
            const iy = oy * strides[0]! - pads[0]! + a * dilations[0]!;
            const ix = ox * strides[1]! - pads[1]! + bb * dilations[1]!;
            p.push(iy < 0 || ix < 0 || iy >= h || ix >= w ? 0 : data[((s * c + g * cg + ci) * h + iy) * w + ix]!);
          }
          for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) expected[(g * k + i) * k + j]! += p[i]! * p[j]!;
        }
      }
    }
    expect(result.rows.get('patches')).toBe(rows);
    const got = result.byValue.get('patches')!;
    expect(got).toHaveLength(expected.length);
    for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo((2 * expected[i]!) / rows, 4);
  });
});

describe('the GPTQ note', () => {
  const outcome = (weights: number, rounded: number): GptqRoundingOutcome => ({ weights, rounded, samples: 6, passes: 1, notes: [], warnings: [] });
  it('words the rest by the counts: the others round to nearest only when there are others', () => {
    expect(gptqNotes(outcome(3, 3))).toEqual(['GPTQ rounded 3 weight(s) using their inputs on 6 calibration sample(s): every quantized weight.']);
    expect(gptqNotes(outcome(5, 3))).toEqual(['GPTQ rounded 3 weight(s) using their inputs on 6 calibration sample(s); the other 2 round to nearest.']);
    expect(gptqNotes(outcome(2, 0))).toEqual(['GPTQ rounded no weights: none of the 2 quantized weight(s) is one it covers; all round to nearest.']);
    expect(gptqNotes(outcome(0, 0))).toEqual(['GPTQ rounded no weights: no quantized node has a float weight.']);
  });
});

describe('static int8 with --weight-method gptq', () => {
  const calib = smoothImages(6, 3, 24, 24, 10);
  const held = smoothImages(4, 3, 24, 24, 50);
  const fidelity = async (model: Model) => {
    const acc = new FidelityAccumulator();
    const name = model.graph.outputs[0]!.name;
    for (const feeds of held) acc.add((await runOnce(encodeModel(edgeNet()), feeds))[name]!.data as Float32Array, (await runOnce(encodeModel(model), feeds))[name]!.data as Float32Array);
    return acc.result();
  };

  it('keeps the model form and the weight scales, changes codes, and comes closer to float on held-out inputs than round-to-nearest', async () => {
    const nearest = edgeNet();
    const gptq = edgeNet();
    await quantize(nearest, { mode: 'int8', reduceRange: true, calibrate: minMaxCalibrator(calib) });
    const result = await quantize(gptq, { mode: 'int8', reduceRange: true, calibrate: minMaxCalibrator(calib), weightMethod: 'gptq', weightCalibration: calibrationOf(calib) });
    // All three were rounded by GPTQ: there is no rest to round to nearest.
    expect(result.notes).toContain('GPTQ rounded 3 weight(s) using their inputs on 6 calibration sample(s): every quantized weight.');
    const ops = (m: Model) => [...m.graph.nodes].map((n) => n.opType);
    expect(ops(gptq)).toEqual(ops(nearest));
    const inits = (m: Model) => new Map([...m.graph.initializers.values()].map((v) => [v.name, toFloat32(v.initializer!)]));
    const [a, b] = [inits(nearest), inits(gptq)];
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const name of a.keys()) if (name.endsWith('_scale')) expect(b.get(name), name).toEqual(a.get(name));
    expect(b.get('w2_quantized')).not.toEqual(a.get('w2_quantized'));
    // The weights' own error: the float net with each weight replaced by its dequantized codes.
    const [wn, wg] = [await fidelity(withDequantizedWeights(nearest)), await fidelity(withDequantizedWeights(gptq))];
    const [fn, fg] = [await fidelity(nearest), await fidelity(gptq)];
    process.stderr.write(`edge net held-out SQNR: weights alone ${wn.sqnrDb.toFixed(2)} → ${wg.sqnrDb.toFixed(2)} dB; int8 model ${fn.sqnrDb.toFixed(2)} → ${fg.sqnrDb.toFixed(2)} dB\n`);
    expect(wg.sqnrDb).toBeGreaterThan(wn.sqnrDb + 2.5);
    // The activations' 8 bits carry most of the int8 model's error; the weights' share still shows.
    expect(fg.sqnrDb).toBeGreaterThan(fn.sqnrDb + 0.3);
    expect(JSON.parse(new Map(gptq.metadataProps).get('lowbit.options')!)).toMatchObject({ weightMethod: 'gptq' });
  });

  it('a second quantization with the same calibration (as --target-cosine does) reuses the rounding: no new runs, same codes', async () => {
    let runners = 0;
    const calibration = { source: sourceOf(calib), createRunner: (bytes: Uint8Array) => (runners++, createNodeRunner(bytes)) };
    const first = edgeNet();
    const second = edgeNet();
    await quantize(first, { mode: 'int8', calibrate: minMaxCalibrator(calib), weightMethod: 'gptq', weightCalibration: calibration });
    expect(runners).toBe(1);
    const result = await quantize(second, { mode: 'int8', calibrate: minMaxCalibrator(calib), weightMethod: 'gptq', weightCalibration: calibration, exclude: ['c3'] });
    expect(runners).toBe(1);
    expect(result.notes.join(' ')).toContain('GPTQ rounded 2 weight(s) using their inputs on 6 calibration sample(s)');
    const codes = (m: Model, name: string) => toFloat32(m.graph.initializers.get(name)!.initializer!);
    expect(codes(second, 'w2_quantized')).toEqual(codes(first, 'w2_quantized'));
  });

  for (const symmetric of [true, false]) {
    it(`weights-int8 (${symmetric ? 'int8 symmetric' : 'uint8 asymmetric'}): same form as round-to-nearest, closer to float on held-out inputs`, async () => {
      const nearest = edgeNet();
      const gptq = edgeNet();
      await quantize(nearest, { mode: 'weights-int8', symmetric });
      const result = await quantize(gptq, { mode: 'weights-int8', symmetric, weightMethod: 'gptq', weightCalibration: calibrationOf(calib) });
      expect(result.notes.join(' ')).toContain('GPTQ rounded 3 weight(s)');
      expect([...gptq.graph.nodes].map((n) => n.opType)).toEqual([...nearest.graph.nodes].map((n) => n.opType));
      expect(gptq.graph.initializers.get('w2_quantized')!.initializer!.dtype).toBe(symmetric ? DataType.INT8 : DataType.UINT8);
      const [fn, fg] = [await fidelity(nearest), await fidelity(gptq)];
      process.stderr.write(`edge net weights-int8 ${symmetric ? 'sym' : 'asym'} held-out SQNR: ${fn.sqnrDb.toFixed(2)} → ${fg.sqnrDb.toFixed(2)} dB\n`);
      expect(fg.sqnrDb).toBeGreaterThan(fn.sqnrDb + 2.5);
    });
  }

  it('weights-int8: rounds exactly the weights the weight-only rule rewrites (an excluded Conv stays float and is not measured)', async () => {
    const model = edgeNet();
    const result = await quantize(model, { mode: 'weights-int8', exclude: ['dw'], weightMethod: 'gptq', weightCalibration: calibrationOf(calib) });
    expect(result.notes.join(' ')).toContain('GPTQ rounded 2 weight(s)');
    expect(model.graph.initializers.has('w2')).toBe(true);
    expect(model.graph.initializers.has('w2_quantized')).toBe(false);
  });

  it('refuses gptq without calibration, and a weight method outside int8', async () => {
    await expect(quantize(edgeNet(), { mode: 'int8', calibrate: minMaxCalibrator(calib), weightMethod: 'gptq' })).rejects.toThrow(/needs calibration data/);
    await expect(quantize(edgeNet(), { mode: 'dynamic', weightMethod: 'gptq' })).rejects.toThrow(/is for --mode int8 and weights-int8/);
    await expect(quantize(edgeNet(), { mode: 'weights-int8', weightMethod: 'gptq' })).rejects.toThrow(/needs calibration data/);
    await expect(quantize(edgeNet(), { mode: 'int8', calibrate: minMaxCalibrator(calib), weightMethod: 'nearest' as 'rtn' })).rejects.toThrow(/must be one of rtn, gptq/);
  });

  it('CLI: --weight-method outside int8 or with an unknown value exits 2 naming the option', () => {
    const dynamic = lowbit(['quantize', 'missing.onnx', '-o', 'out.onnx', '--mode', 'dynamic', '--weight-method', 'gptq']);
    expect(dynamic.code).toBe(2);
    expect(dynamic.stderr).toContain('--weight-method is for --mode int8');
    const unknown = lowbit(['quantize', 'missing.onnx', '-o', 'out.onnx', '--mode', 'int8', '--calib', 'random', '--weight-method', 'nearest']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--weight-method must be one of rtn, gptq, got 'nearest'");
    const noCalib = lowbit(['quantize', 'missing.onnx', '-o', 'out.onnx', '--mode', 'weights-int8', '--weight-method', 'gptq']);
    expect(noCalib.code).toBe(2);
    expect(noCalib.stderr).toContain('--weight-method gptq needs calibration data');
  });
});
