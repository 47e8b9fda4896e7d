import { describe, expect, it } from 'vitest';
import { corpusModel, absentReason, skipWithReason } from '../../test/helpers/corpus.js';
import { randomFloats } from '../../test/helpers/ort.js';
import { readFileSync } from 'node:fs';
import type { SampleSource } from '../data/samples.js';
import { generateInputs } from '../eval/inputs.js';
import { attr } from '../ir/attribute.js';
import { GraphBuilder } from '../ir/builder.js';
import { Graph } from '../ir/graph.js';
import { Node } from '../ir/node.js';
import { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { float32Tensor } from '../ir/tensor/values.js';
import { isTensorType } from '../ir/types.js';
import { inferTypes } from '../passes/infer-types/infer-types.js';
import { createNodeRunner } from '../runner/ort-node.js';
import type { Feeds } from '../runner/runner.js';
import { decodeModel } from '../serde/decode.js';
import { encodeModel } from '../serde/encode.js';
import { calibrate } from './calibrate.js';
import type { CalibrationProgress } from './options.js';

/** Conv → Relu → Conv → Add (skip) → MaxPool → GlobalAveragePool → Flatten → Gemm, plus a Shape. */
function smallCnn(): Model {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [1, 3, 16, 16]);
  const pads = { pads: attr.ints([1, 1, 1, 1]) };
  const w1 = b.initializer('w1', float32Tensor([8, 3, 3, 3], randomFloats(216, 1, 0.5)));
  const c1 = b.op('Conv', [x, w1, b.initializer('b1', float32Tensor([8], randomFloats(8, 2)))], { name: 'conv1', attributes: pads });
  const r1 = b.op('Relu', [c1], { name: 'relu1' });
  const c2 = b.op('Conv', [r1, b.initializer('w2', float32Tensor([8, 8, 3, 3], randomFloats(576, 3, 0.3)))], { name: 'conv2', attributes: pads });
  const sum = b.op('Add', [c2, r1], { name: 'add' });
  const pool = b.op('MaxPool', [sum], { name: 'pool', attributes: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } });
  const flat = b.op('Flatten', [b.op('GlobalAveragePool', [pool], { name: 'gap' })], { name: 'flat' });
  const fc = b.op('Gemm', [flat, b.initializer('fc_w', float32Tensor([4, 8], randomFloats(32, 4))), b.initializer('fc_b', float32Tensor([4], randomFloats(4, 5)))], { name: 'fc', attributes: { transB: attr.int(1) } });
  b.output(fc, DataType.FLOAT, [1, 4]);
  b.output(b.op('Shape', [pool], { name: 'shape' }), DataType.INT64, [4]);
  return b.model;
}

function arraySource(samples: Feeds[], label = 'test samples'): SampleSource {
  return { label, size: samples.length, async *samples() { yield* samples; } };
}

function randomSamples(model: Model, count: number): Feeds[] {
  return Array.from({ length: count }, (_, i) => {
    const feeds = generateInputs(model, { seed: 100 + i });
    for (const t of Object.values(feeds)) if (t.data instanceof Float32Array) t.data = t.data.map((v) => v * 4 - 2);
    return feeds;
  });
}

/** Exact extremes, by running every tensor out of onnxruntime ourselves and scanning it. */
async function exactRanges(model: Model, names: string[], samples: Feeds[]): Promise<Map<string, { min: number; max: number }>> {
  const copy = decodeModel(encodeModel(model));
  const values = names.map((n) => [...copy.graph.nodes].flatMap((node) => node.outputs).find((o) => o?.name === n));
  for (const v of values) if (v && !v.isGraphOutput()) copy.graph.outputs.push(v);
  const runner = await createNodeRunner(encodeModel(copy), { optimization: 'disabled', threads: 1 });
  const ranges = new Map<string, { min: number; max: number }>();
  try {
    for (const feeds of samples) {
      const out = await runner.run(feeds, names.filter((n) => !(n in feeds)));
      for (const name of names) {
        const data = (out[name] ?? feeds[name]!).data as Float32Array;
        const r = ranges.get(name) ?? { min: Infinity, max: -Infinity };
        for (const v of data) (r.min = Math.min(r.min, v)), (r.max = Math.max(r.max, v));
        ranges.set(name, r);
      }
    }
  } finally {
    await runner.dispose();
  }
  return ranges;
}

const exactRunner = (bytes: Uint8Array) => createNodeRunner(bytes, { optimization: 'disabled', threads: 1 });
const CNN_TENSORS = ['x', 'conv1_out', 'relu1_out', 'conv2_out', 'add_out', 'pool_out', 'gap_out', 'fc_out'];

describe('calibrate', () => {
  it('measures exactly the extremes onnxruntime produces, in one group or many', async () => {
    const model = smallCnn();
    const samples = randomSamples(model, 6);
    const exact = await exactRanges(model, CNN_TENSORS, samples);
    const progress: CalibrationProgress[] = [];
    const one = await calibrate(model, CNN_TENSORS, arraySource(samples), exactRunner, { method: 'minmax', onProgress: (p) => progress.push(p) });
    expect(one.samples).toBe(6);
    expect(one.groups).toBe(1);
    expect(one.skipped).toEqual([]);
    for (const name of CNN_TENSORS) expect(one.ranges.get(name), name).toEqual(exact.get(name));
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(progress.at(-1)).toMatchObject({ total: 6, etaSeconds: 0 });

    // A budget of one tensor per run: seven passes over the data (the input is read from the samples).
    const grouped: CalibrationProgress[] = [];
    const many = await calibrate(model, CNN_TENSORS, arraySource(samples), exactRunner, { method: 'minmax', maxOutputBytesPerRun: 1, onProgress: (p) => grouped.push(p) });
    expect(many.groups).toBe(7);
    expect(many.ranges).toEqual(one.ranges);
    expect(grouped.length).toBe(42);
    expect(grouped[6]).toMatchObject({ done: 7, total: 42, group: 2, groups: 7 });
    // The caller's model is left as it was.
    expect(model.graph.outputs.map((o) => o.name)).toEqual(['fc_out', 'shape_out']);
  });

  it('gives ranges inside the extremes with every method, and moves with the moving average', async () => {
    const model = smallCnn();
    const samples = randomSamples(model, 5);
    const exact = await exactRanges(model, CNN_TENSORS, samples);
    for (const method of ['percentile', 'entropy', 'mse'] as const) {
      const result = await calibrate(model, CNN_TENSORS, arraySource(samples), exactRunner, { method, maxSamples: 4 });
      expect(result.samples).toBe(4);
      for (const name of CNN_TENSORS) {
        const r = result.ranges.get(name)!;
        expect(r.min, `${method} ${name}`).toBeGreaterThanOrEqual(exact.get(name)!.min);
        expect(r.max, `${method} ${name}`).toBeLessThanOrEqual(exact.get(name)!.max);
        expect(r.min).toBeLessThan(r.max);
      }
    }
    const averaged = await calibrate(model, ['conv1_out'], arraySource(samples), exactRunner, { method: 'minmax', movingAverage: 0.01 });
    expect(averaged.ranges.get('conv1_out')!.max).toBeLessThan(exact.get('conv1_out')!.max);
  });

  it('ranges constants once, skips non-float tensors with a reason, and refuses unknown names', async () => {
    const model = smallCnn();
    const samples = randomSamples(model, 2);
    const result = await calibrate(model, ['w1', 'shape_out', 'fc_out'], arraySource(samples), exactRunner, { method: 'minmax' });
    const w1 = randomFloats(216, 1, 0.5);
    expect(result.ranges.get('w1')).toEqual({ min: Math.min(...w1), max: Math.max(...w1) });
    expect(result.skipped).toMatchObject([{ code: 'calib-not-float', value: 'shape_out' }]);
    await expect(calibrate(model, ['nope'], arraySource(samples), exactRunner, { method: 'minmax' })).rejects.toMatchObject({ code: 'calib-unknown-tensor' });
    await expect(calibrate(model, ['fc_out'], arraySource([]), exactRunner, { method: 'minmax' })).rejects.toMatchObject({ code: 'no-samples' });
    await expect(calibrate(model, ['fc_out'], arraySource(samples), exactRunner, { method: 'minmax', percentile: 120 })).rejects.toMatchObject({ code: 'bad-option' });
    // Groups are measured on separate passes: a source that changes between passes is refused.
    let passes = 0;
    const shrinking: SampleSource = { label: 'shrinking', size: undefined, async *samples() { yield* samples.slice(passes++); } };
    await expect(calibrate(model, ['conv1_out', 'fc_out'], shrinking, exactRunner, { method: 'minmax', maxOutputBytesPerRun: 1 })).rejects.toMatchObject({ code: 'calib-source-changed' });
  });

  it('sizes the groups from a real sample when the input dims are symbolic', async () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', DataType.FLOAT, [1, 2, 'h', 'w']);
    const a = b.op('Relu', [x], { name: 'a' });
    const c = b.op('Neg', [a], { name: 'c' });
    b.output(b.op('Abs', [c], { name: 'd' }), DataType.FLOAT, [1, 2, 'h', 'w']);
    // 1×2×8×8 floats = 512 bytes per tensor: a 1100-byte budget holds two.
    const feeds: Feeds = { x: { dtype: DataType.FLOAT, dims: [1, 2, 8, 8], data: randomFloats(128, 9) } };
    const result = await calibrate(b.model, ['a_out', 'c_out', 'd_out'], arraySource([feeds]), exactRunner, { method: 'minmax', maxOutputBytesPerRun: 1100 });
    expect(result.groups).toBe(2);
    const values = feeds.x!.data as Float32Array;
    const negated = result.ranges.get('c_out')!;
    expect(negated.min).toBe(-Math.max(...values));
    expect(negated.max === 0).toBe(true); // −relu(x): −0 where x ≤ 0
  });

  it('observes values inside If branches, on the samples that take the branch', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', DataType.FLOAT, [4]);
    const cond = b.input('cond', DataType.BOOL, []);
    const branch = (name: string, op: string) => {
      const g = new Graph(name);
      const node = new Node({ opType: op, name: `${name}_op`, inputs: [x], outputs: [`${name}_value`] });
      g.appendNode(node);
      node.output().type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [4] };
      g.outputs = [node.output()];
      return g;
    };
    b.output(b.op('If', [cond], { attributes: { then_branch: attr.graph(branch('then', 'Relu')), else_branch: attr.graph(branch('else', 'Neg')) } }), DataType.FLOAT, [4]);
    const sample = (values: number[], take: boolean): Feeds => ({
      x: { dtype: DataType.FLOAT, dims: [4], data: Float32Array.from(values) },
      cond: { dtype: DataType.BOOL, dims: [], data: Uint8Array.of(take ? 1 : 0) },
    });
    const samples = [sample([1, -2, 3, -4], true), sample([9, -9, 0.5, 2], false), sample([-1, 5, 0, 0], true)];
    const result = await calibrate(b.model, ['then_value', 'else_value', 'x'], arraySource(samples), exactRunner, { method: 'minmax' });
    expect(result.skipped).toEqual([]);
    expect(result.ranges.get('then_value')).toEqual({ min: 0, max: 5 }); // relu of samples 1 and 3
    expect(result.ranges.get('else_value')).toEqual({ min: -9, max: 9 }); // −x of sample 2
    expect(result.ranges.get('x')).toEqual({ min: -9, max: 9 });
  });

  it('measures a real model (mlsd tiny) exactly', async (ctx) => {
    const entry = corpusModel('mlsd-320-tiny');
    const absent = absentReason(entry.path, entry.id);
    if (absent) return skipWithReason(ctx, absent);
    const model = decodeModel(readFileSync(entry.path));
    const typed = decodeModel(readFileSync(entry.path));
    inferTypes(typed);
    // Every float output of a Conv, Clip, Add, Concat or Resize: what the quantizer observes.
    const names = [...typed.graph.nodes]
      .filter((n) => ['Conv', 'Clip', 'Add', 'Concat', 'Resize'].includes(n.opType))
      .map((n) => n.outputs[0]!)
      .filter((v) => isTensorType(v.type) && v.type.elemType === DataType.FLOAT)
      .map((v) => v.name);
    const samples = Array.from({ length: 3 }, (_, i) => generateInputs(model, { seed: 7 + i }));
    const exact = await exactRanges(model, names, samples);
    const result = await calibrate(model, names, arraySource(samples), exactRunner, { method: 'minmax' });
    expect(result.skipped).toEqual([]);
    expect(result.ranges.size).toBe(names.length);
    expect(names.length).toBeGreaterThan(60);
    for (const [name, r] of result.ranges) expect(r, name).toEqual(exact.get(name));
  });
});
