import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { float32Tensor } from '../../ir/tensor/values.js';
import type { Model } from '../../ir/model.js';
import { encodeModel } from '../../serde/encode.js';
import type { Feeds } from '../../runner/runner.js';
import { quantize } from '../quantize.js';
import { quantizeToTarget, steppedOutputs } from './target-cosine.js';
import { comparedValues } from './plan.js';
import { minMaxCalibrator } from '../../../test/helpers/minmax-calibrator.js';
import { randomFloats, runOnce } from '../../../test/helpers/ort.js';

const samples = (n: number, seed = 100): Feeds[] => Array.from({ length: n }, (_, i) => ({ x: { dtype: DataType.FLOAT, dims: [1, 4, 8, 8], data: randomFloats(4 * 8 * 8, seed + i) } }));

/** conv a → relu → conv b → out. */
function twoConvs(): Model {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [1, 4, 8, 8]);
  const conv = (name: string, input: ReturnType<typeof b.input>, seed: number) =>
    b.op('Conv', [input, b.initializer(`${name}_w`, float32Tensor([4, 4, 1, 1], randomFloats(16, seed, 0.5))), b.initializer(`${name}_b`, float32Tensor([4], randomFloats(4, seed + 1, 0.1)))], { name });
  const a = conv('a', x, 1);
  const r = b.op('Relu', [a], { name: 'r' });
  b.output(conv('b', r, 3), DataType.FLOAT, [1, 4, 8, 8]);
  return b.model;
}

/** A peak finder as mlsd ends: heat = Sigmoid(Conv(x)); scores = heat · (heat == MaxPool(heat)). */
function peakFinder(): Model {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [1, 4, 8, 8]);
  const logits = b.op('Conv', [x, b.initializer('w', float32Tensor([1, 4, 1, 1], randomFloats(4, 5, 0.5)))], { name: 'head' });
  const heat = b.op('Sigmoid', [logits], { name: 'heat' });
  const pooled = b.op('MaxPool', [heat], { name: 'pool', attributes: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } });
  const peak = b.op('Equal', [heat, pooled], { name: 'peak' });
  const mask = b.op('Cast', [peak], { name: 'mask', attributes: { to: attr.int(DataType.FLOAT) } });
  b.output(b.op('Mul', [heat, mask], { name: 'scores' }), DataType.FLOAT, [1, 1, 8, 8]);
  return b.model;
}

/** Which of the named Convs run in int8 (their weight comes from a DequantizeLinear). */
const int8Convs = (m: Model) => [...m.graph.nodes].filter((n) => n.opType === 'Conv' && n.input(1)?.producer()?.opType === 'DequantizeLinear').map((n) => n.name);

describe('static int8 with a target cosine', () => {
  it('keeps in float the node that costs most alone, until the target is met, and says why', async () => {
    // A stand-in for running the model: conv a costs 0.05 of cosine, conv b 0.001.
    const measure = async (m: Model) => {
      const q = int8Convs(m);
      return { out: 1 - (q.includes('a') ? 0.05 : 0) - (q.includes('b') ? 0.001 : 0) };
    };
    const lines: string[] = [];
    const found = await quantizeToTarget(twoConvs, { mode: 'int8', calibrate: minMaxCalibrator(samples(2)) }, { target: 0.99, measure, onProgress: (l) => lines.push(l) });
    expect(found.startCosine).toBeCloseTo(0.949, 6);
    expect(found.reached).toBe(true);
    expect(found.cosine).toBeCloseTo(0.999, 6);
    expect(found.kept.map((k) => k.node)).toEqual(['a']);
    expect(found.kept[0]!.aloneCosine).toBeCloseTo(0.95, 6);
    expect(int8Convs(found.result.model)).toEqual(['b']);
    const why = found.result.skipped.find((d) => d.node === 'a')!;
    expect(why.code).toBe('sensitive');
    expect(why.reason).toMatch(/0\.95000/);
    expect(lines.some((l) => l.includes("keeping Conv 'a'"))).toBe(true);
  });

  it('gives a kept node back to int8 when the model is no faster than float with it', async () => {
    // Both convs cost fidelity; keeping both in float makes the model slower than float.
    const measure = async (m: Model) => {
      const q = int8Convs(m);
      return { out: 1 - (q.includes('a') ? 0.05 : 0) - (q.includes('b') ? 0.02 : 0) };
    };
    const latencyRatio = async (m: Model) => (int8Convs(m).length === 0 ? 1.2 : 0.8);
    const found = await quantizeToTarget(twoConvs, { mode: 'int8', calibrate: minMaxCalibrator(samples(2)) }, { target: 0.999, measure, latencyRatio, maxKept: 2 });
    expect(found.kept.map((k) => k.node)).toEqual(['a']);
    expect(found.latencyRatio).toBe(0.8);
    expect(found.reached).toBe(false);
    expect(found.cosine).toBeCloseTo(0.98, 6);
  });

  it('quantizes everything when the target is already met', async () => {
    const found = await quantizeToTarget(twoConvs, { mode: 'int8', calibrate: minMaxCalibrator(samples(2)) }, { target: 0.9, measure: async () => ({ out: 0.95 }) });
    expect(found.kept).toEqual([]);
    expect(int8Convs(found.result.model).sort()).toEqual(['a', 'b']);
  });

  it('steers by the outputs that change smoothly, not by a peak mask', async () => {
    expect([...steppedOutputs(peakFinder())]).toEqual([peakFinder().graph.outputs[0]!.name]);
    expect(steppedOutputs(twoConvs()).size).toBe(0);
  });

  it('refuses a target outside (0, 1]', async () => {
    await expect(quantizeToTarget(twoConvs, { mode: 'int8' }, { target: 1.5, measure: async () => ({}) })).rejects.toThrow(/\(0, 1\]/);
  });
});

describe('values a comparison reads stay float', () => {
  it('finds the map compared with its own max-pooled copy, back to the Conv that makes it', () => {
    const model = peakFinder();
    const names = [...comparedValues(model.graph)].map((v) => v.name).sort();
    const out = (n: string) => [...model.graph.nodes].find((x) => x.name === n)!.output().name;
    expect(names).toEqual([out('head'), out('heat'), out('pool')].sort());
  });

  it('quantizes the Conv but leaves its output, the Sigmoid and the MaxPool in float, so peaks match float exactly', async () => {
    const model = peakFinder();
    const result = await quantize(model, { mode: 'int8', calibrate: minMaxCalibrator(samples(4)) });
    expect(int8Convs(model)).toEqual(['head']);
    expect(result.skipped.filter((d) => d.code === 'compared').map((d) => d.node).sort()).toEqual(['heat', 'pool', 'scores']);
    const head = [...model.graph.nodes].find((n) => n.name === 'head')!;
    expect(head.output().uses().map((u) => u.node.opType)).toEqual(['Sigmoid']);
    // Peaks: wherever float finds one, the quantized model finds one too (no plateau ties).
    const name = model.graph.outputs[0]!.name;
    for (const feeds of samples(3, 900)) {
      const f = (await runOnce(encodeModel(peakFinder()), feeds))[name]!.data as Float32Array;
      const q = (await runOnce(encodeModel(model), feeds))[name]!.data as Float32Array;
      const peaks = (a: Float32Array) => Array.from(a, (v) => v > 0).filter(Boolean).length;
      expect(Math.abs(peaks(q) - peaks(f))).toBeLessThanOrEqual(2);
    }
  });
});
