import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { float32Tensor } from '../../ir/tensor/values.js';
import type { Feeds } from '../../runner/runner.js';
import { minMaxCalibrator } from '../../../test/helpers/minmax-calibrator.js';
import { randomFloats } from '../../../test/helpers/ort.js';
import { quantize } from '../quantize.js';
import { floatConvTimes, int8Costs, quantizeWhereFaster } from './speed-choice.js';

/** x → Conv c1 → Relu → Conv c2 → HardSwish → Conv c3 → y: c2's output goes to a float op, c3's input comes from one. */
function threeConvs(): Model {
  const b = new GraphBuilder(14);
  const x = b.input('x', DataType.FLOAT, [1, 4, 8, 8]);
  const conv = (name: string, input: ReturnType<typeof b.input>, seed: number) =>
    b.op('Conv', [input, b.initializer(`${name}_w`, float32Tensor([4, 4, 3, 3], randomFloats(144, seed, 0.4)))], { name, attributes: { pads: attr.ints([1, 1, 1, 1]) } });
  const r1 = b.op('Relu', [conv('c1', x, 1)], { name: 'r1' });
  const hs = b.op('HardSwish', [conv('c2', r1, 2)], { name: 'hs' });
  b.output(conv('c3', hs, 3), DataType.FLOAT, [1, 4, 8, 8]);
  return b.model;
}

const calib: Feeds[] = [{ x: { dtype: DataType.FLOAT, dims: [1, 4, 8, 8], data: randomFloats(256, 5, 2) } }];
const nodeNamed = (m: Model, name: string) => [...m.graph.nodes].find((n) => n.name === name)!;
/** A ProfileModels from a profile of one model at a time. */
const eachModel = (profile: (m: Model) => Promise<Map<string, number>>) => (models: Model[]) => Promise.all(models.map(profile));
const int8Convs = (m: Model) => [...m.graph.nodes].filter((n) => n.opType === 'Conv' && n.input(1)?.producer()?.opType === 'DequantizeLinear').length;

describe('choosing int8 where it is faster', () => {
  it('finds each Conv in the float profile under the names onnxruntime gives fused and NCHWc nodes', () => {
    const model = threeConvs();
    const r1 = nodeNamed(model, 'r1').output().name;
    // c1 fused with its Relu, named after the Relu's output; c2 under its own name; c3 after its output, NCHWc.
    const profile = new Map([[`${r1}_nchwc`, 2], ['c2', 1.5], [`${nodeNamed(model, 'c3').output().name}_nchwc`, 0.5], ['hs', 0.3]]);
    expect(floatConvTimes(model, profile)).toEqual(new Map([['c1', 2], ['c2', 1.5], ['c3', 0.5]]));
  });

  it('charges an int8 Conv with the Q/DQ that run only because of it: the Q of an input from a float op, the DQs of an output read by one', async () => {
    const q = (await quantize(threeConvs(), { mode: 'int8', calibrate: minMaxCalibrator(calib) })).model;
    // The QuantizeLinear of the HardSwish output (c3's input), and the DequantizeLinear feeding the HardSwish (c2's output).
    const hs = nodeNamed(q, 'hs');
    const dqBeforeHs = hs.input(0)!.producer()!;
    const qAfterHs = hs.output().uses().find((u) => u.node.opType === 'QuantizeLinear')!.node;
    expect(dqBeforeHs.opType).toBe('DequantizeLinear');
    const profile = new Map([
      ['c1', 0.4], ['c2_token_7', 0.6], ['c3', 0.9],
      [`${dqBeforeHs.name}/duplicated_1`, 0.25], [qAfterHs.name, 0.35], ['hs', 0.3],
    ]);
    const costs = int8Costs(q, profile, new Map([['c1', 1], ['c2', 1], ['c3', 1]]));
    expect(costs).toEqual([
      { node: 'c1', floatMs: 1, int8Ms: 0.4, qdqMs: 0 },
      { node: 'c2', floatMs: 1, int8Ms: 0.6, qdqMs: 0.25 },
      { node: 'c3', floatMs: 1, int8Ms: 0.9, qdqMs: 0.35 },
    ]);
  });

  it('keeps in float the Convs the profiles call slower, says why, and asks again until none is left', async () => {
    const lines: string[] = [];
    // Float: every Conv 1 ms. int8: c1 0.5 ms; c3 1.2 ms (slower); c2 0.8 ms, but 0.95 ms (a tie) once c3 is float.
    const profile = async (m: Model) => {
      const int8 = new Set([...m.graph.nodes].filter((n) => n.opType === 'Conv' && n.input(1)?.producer()?.opType === 'DequantizeLinear').map((n) => n.name));
      if (int8.size === 0) return new Map([['c1', 1], ['c2', 1], ['c3', 1]]);
      const times = new Map<string, number>();
      if (int8.has('c1')) times.set('c1', 0.5);
      if (int8.has('c2')) times.set('c2', int8.has('c3') ? 0.8 : 0.95);
      if (int8.has('c3')) times.set('c3', 1.2);
      return times;
    };
    // Each round profiles the float model beside the current int8 one (float first).
    const int8CountsProfiled: number[][] = [];
    const profilePair = async (models: Model[]) => {
      int8CountsProfiled.push(models.map(int8Convs));
      return eachModel(profile)(models);
    };
    const found = await quantizeWhereFaster(threeConvs, { mode: 'int8', calibrate: minMaxCalibrator(calib) }, { profile: profilePair, latencyRatios: async (models) => models.map(() => 0.8), onProgress: (l) => lines.push(l) });
    expect(int8CountsProfiled).toEqual([[0, 3], [0, 2], [0, 1]]);
    expect(found.kept.map((k) => k.node)).toEqual(['c3', 'c2']);
    const skipped = found.result.skipped.filter((d) => d.code === 'slower-in-int8');
    expect(skipped.map((d) => d.node)).toEqual(['c2', 'c3']);
    expect(skipped[1]!.reason).toBe("kept in float because it runs faster so on this machine: in onnxruntime's profile its int8 kernel took 1.200 ms plus 0.000 ms of Q/DQ it alone needs, against 1.000 ms in float");
    // 5% faster in int8 is within what two profiles of the same model differ by: a tie, and ties go to float.
    expect(skipped[0]!.reason).toBe("kept in float because int8 is not at least 10% faster on this machine (closer than two profiles can tell apart): in onnxruntime's profile its int8 kernel took 0.950 ms plus 0.000 ms of Q/DQ it alone needs, against 1.000 ms in float");
    expect(lines).toContain('speed choice, round 1: 3 int8 Conv(s) profiled, 1 not at least 10% faster than in float');
    expect(lines).toContain('speed choice, round 2: 2 int8 Conv(s) profiled, 1 not at least 10% faster than in float');
    // c1 still runs in int8.
    expect(nodeNamed(found.result.model, 'c1').input(1)!.producer()!.opType).toBe('DequantizeLinear');
    expect(nodeNamed(found.result.model, 'c3').input(1)!.producer()).toBeUndefined();
  });

  it('drops the mix when the whole model runs more than 5% slower than all int8', async () => {
    const profile = async (m: Model) => new Map([...m.graph.nodes].filter((n) => n.opType === 'Conv').map((n) => [n.name, n.input(1)?.producer() ? 2 : 1]));
    const hasFloatConv = (m: Model) => [...m.graph.nodes].some((n) => n.opType === 'Conv' && !n.input(1)?.producer());
    // All int8 and the mix are timed together, all int8 first.
    const timedTogether: number[][] = [];
    const latencyRatios = async (models: Model[]) => {
      timedTogether.push(models.map(int8Convs));
      return models.map((m) => (hasFloatConv(m) ? 0.9 : 0.8));
    };
    const found = await quantizeWhereFaster(threeConvs, { mode: 'int8', calibrate: minMaxCalibrator(calib) }, { profile: eachModel(profile), latencyRatios });
    expect(timedTogether).toEqual([[3, 0]]);
    expect(found.kept).toEqual([]);
    expect(found).toMatchObject({ mixDropped: true, slowerInProfiles: 3, latencyRatio: 0.9, allInt8LatencyRatio: 0.8 });
    expect(found.result.skipped.some((d) => d.code === 'slower-in-int8')).toBe(false);
    // Within 5%, the mix stays: same speed, fewer Convs rounded.
    const close = await quantizeWhereFaster(threeConvs, { mode: 'int8', calibrate: minMaxCalibrator(calib) }, { profile: eachModel(profile), latencyRatios: async (models) => models.map((m) => (hasFloatConv(m) ? 0.83 : 0.8)) });
    expect(close.kept.map((k) => k.node).sort()).toEqual(['c1', 'c2', 'c3']);
    expect(close).toMatchObject({ mixDropped: false, slowerInProfiles: 3 });
  });

  it('is for int8 only', async () => {
    await expect(quantizeWhereFaster(threeConvs, { mode: 'weights-int8' }, { profile: async () => [], latencyRatios: async () => [] })).rejects.toThrow(/for --mode int8/);
  });
});
