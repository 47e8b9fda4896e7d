import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attr } from '../ir/attribute.js';
import { GraphBuilder } from '../ir/builder.js';
import { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Value } from '../ir/value.js';
import { float32ArrayToHalf, halfToFloat } from '../ir/tensor/float16.js';
import { float32Tensor } from '../ir/tensor/values.js';
import { isTensorType } from '../ir/types.js';
import { decodeModel } from '../serde/decode.js';
import { encodeModel } from '../serde/encode.js';
import { quantize } from '../quantize/quantize.js';
import { createNodeRunner } from '../runner/ort-node.js';
import { createWebRunner } from '../runner/ort-web.js';
import { profileNodeTimesSideBySide } from '../runner/ort-profile.js';
import type { Feeds, Runner } from '../runner/runner.js';
import type { SampleSource } from '../data/samples.js';
import { openSource } from '../node/data-sources.js';
import { LowbitError } from '../errors.js';
import { randomFloats } from '../../test/helpers/ort.js';
import { absentReason, corpusModel, skipWithReason } from '../../test/helpers/corpus.js';
import { benchRunners } from './bench.js';
import { firstSample } from './first-sample.js';
import { generateInputs } from './inputs.js';
import { checkSpeed } from './speed-check.js';
import { asNumbers, verifyRunners } from './verify.js';

// A model converted with `quantize(model, {mode: 'fp16', keepIoTypes: false})` takes and returns
// float16, while verification, eval and bench feed it the float32 data its float twin takes.

const F = DataType.FLOAT;
const H = DataType.FLOAT16;

function cnn(): Model {
  const b = new GraphBuilder(13);
  const x = b.input('x', F, [1, 3, 16, 16]);
  const c = b.op('Relu', [b.op('Conv', [x, b.initializer('w', float32Tensor([8, 3, 3, 3], randomFloats(216, 1, 0.4)))], { attributes: { pads: attr.ints([1, 1, 1, 1]) } })]);
  const f = b.op('Flatten', [b.op('GlobalAveragePool', [c])]);
  b.output(b.op('Gemm', [f, b.initializer('fc', float32Tensor([10, 8], randomFloats(80, 2, 0.5))), b.initializer('fc_b', float32Tensor([10], randomFloats(10, 3)))], { attributes: { transB: attr.int(1) } }), F, [1, 10]);
  return b.model;
}

async function fp16Io(float: Model): Promise<Model> {
  const copy = decodeModel(encodeModel(float));
  await quantize(copy, { mode: 'fp16', keepIoTypes: false });
  return copy;
}

const elemTypes = (values: readonly Value[]) => values.map((v) => (isTensorType(v.type) ? v.type.elemType : undefined));

const feedsSource = (list: Feeds[]): SampleSource => ({
  label: `${list.length} samples`,
  size: list.length,
  async *samples() {
    yield* list;
  },
});

async function withRunners<T>(open: (() => Promise<Runner>)[], use: (runners: Runner[]) => Promise<T>): Promise<T> {
  const runners: Runner[] = [];
  try {
    for (const o of open) runners.push(await o());
    return await use(runners);
  } finally {
    for (const r of runners) await r.dispose();
  }
}

describe('float16 model inputs and outputs (fp16 with keepIoTypes false)', () => {
  it('verifies against the float model with float32 feeds, in onnxruntime-node and -web', async () => {
    const float = cnn();
    const half = await fp16Io(float);
    expect(elemTypes(half.graph.inputs)).toEqual([H]);
    expect(elemTypes(half.graph.outputs)).toEqual([H]);
    const source = feedsSource([1, 2, 3].map((seed) => ({ x: { dtype: F, dims: [1, 3, 16, 16], data: randomFloats(768, seed) } })));
    for (const open of [createNodeRunner, createWebRunner]) {
      const result = await withRunners([() => open(encodeModel(float)), () => open(encodeModel(half))], ([reference, candidate]) => verifyRunners(reference!, candidate!, source));
      expect(result.samples).toBe(3);
      expect(result.outputs).toHaveLength(1);
      expect(result.outputs[0]!.cosine).toBeGreaterThanOrEqual(0.999);
      expect(result.outputs[0]!.nonFinite).toBe(0);
    }
  });

  it('hands float16 outputs back as bits that asNumbers reads as float32 values', async () => {
    const float = cnn();
    const half = await fp16Io(float);
    const feeds = { x: { dtype: F, dims: [1, 3, 16, 16], data: randomFloats(768, 9) } };
    await withRunners([() => createNodeRunner(encodeModel(float)), () => createNodeRunner(encodeModel(half))], async ([f, h]) => {
      expect(h!.inputs.map((i) => i.dtype)).toEqual([H]);
      expect(h!.outputs.map((o) => o.dtype)).toEqual([H]);
      const name = h!.outputs[0]!.name;
      const [ref, out] = [(await f!.run(feeds))[name]!, (await h!.run(feeds))[name]!];
      expect(out.dtype).toBe(H);
      expect(out.data).toBeInstanceOf(Uint16Array);
      const values = asNumbers(out);
      expect(values).toBeInstanceOf(Float32Array);
      expect(values[0]).toBe(halfToFloat((out.data as Uint16Array)[0]!));
      const expected = ref.data as Float32Array;
      for (let i = 0; i < expected.length; i++) expect(values[i]).toBeCloseTo(expected[i]!, 2);
      // The float model takes float16 feeds too: bench and eval may give the fp16 model first.
      const halfFeeds = { x: { dtype: H, dims: [1, 3, 16, 16], data: float32ArrayToHalf(feeds.x.data) } };
      const fromHalf = asNumbers((await f!.run(halfFeeds))[name]!);
      for (let i = 0; i < expected.length; i++) expect(fromHalf[i]).toBeCloseTo(expected[i]!, 2);
    });
  });

  it('benches and profiles the two side by side on the float model\'s generated inputs', async () => {
    const float = cnn();
    const half = await fp16Io(float);
    const feeds = generateInputs(float);
    const bench = await withRunners([() => createNodeRunner(encodeModel(float)), () => createNodeRunner(encodeModel(half))], ([f, h]) =>
      benchRunners([{ name: 'float', runner: f! }, { name: 'fp16', runner: h! }], feeds, { runs: 2, warmup: 1 }),
    );
    expect(bench.models.map((m) => m.runs)).toEqual([2, 2]);
    const profiles = await profileNodeTimesSideBySide([encodeModel(float), encodeModel(half)], feeds, { runs: 1, warmup: 0 });
    expect(profiles.every((p) => p.size > 0)).toBe(true);
  });

  it('still refuses other type mismatches, with a message that names the input and both types', async () => {
    const b = new GraphBuilder(13);
    const ids = b.input('ids', DataType.INT32, [2]);
    b.output(b.op('Gather', [b.initializer('table', float32Tensor([4, 2], randomFloats(8, 1))), ids]), F, [2, 2]);
    const feeds = { ids: { dtype: DataType.INT64, dims: [2], data: BigInt64Array.from([1n, 2n]) } };
    await withRunners([() => createNodeRunner(encodeModel(b.model))], async ([runner]) => {
      const error = await runner!.run(feeds).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LowbitError);
      expect((error as LowbitError).code).toBe('input-type-mismatch');
      expect((error as Error).message).toContain("input 'ids' of the model takes int32, but the data given for it is int64");
    });
  });

  it('blazeface-front-128: quantize verification and speed check as the CLI runs them', async (ctx) => {
    const corpus = corpusModel('blazeface-front-128');
    const absent = absentReason(corpus.path, corpus.id);
    if (absent) return skipWithReason(ctx, absent);
    const float = decodeModel(readFileSync(corpus.path));
    const half = await fp16Io(float);
    expect(elemTypes(half.graph.inputs)).toEqual([H]);
    const source = openSource('random', float, { randomCount: 4 });
    const [floatBytes, halfBytes] = [encodeModel(float), encodeModel(half)];
    const result = await withRunners([() => createNodeRunner(floatBytes), () => createNodeRunner(halfBytes)], ([f, h]) => verifyRunners(f!, h!, source));
    expect(result.outputs.length).toBeGreaterThan(0);
    for (const output of result.outputs) expect(output.cosine, output.name).toBeGreaterThanOrEqual(0.999);
    const speed = await checkSpeed(() => createNodeRunner(floatBytes, { threads: 2 }), () => createNodeRunner(halfBytes, { threads: 2 }), await firstSample(source));
    expect(speed.check.ratio).toBeGreaterThan(0);
  }, 120_000);
});
