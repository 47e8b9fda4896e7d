import type { SampleSource } from '../data/samples.js';
import type { Diagnostic } from '../diagnostics.js';
import { LowbitError } from '../errors.js';
import type { Model } from '../ir/model.js';
import { toFloat32 } from '../ir/tensor/values.js';
import { inferTypes } from '../passes/infer-types/infer-types.js';
import type { Feeds, Runner } from '../runner/runner.js';
import { decodeModel } from '../serde/decode.js';
import { encodeModel } from '../serde/encode.js';
import { floatValues } from './float-values.js';
import { planGroups } from './groups.js';
import { createObserver } from './observers/create-observer.js';
import type { Observer, Range } from './observers/observer.js';
import { DEFAULT_MAX_OUTPUT_BYTES, checkOptions, type CalibrateOptions, type CalibrationResult } from './options.js';
import { bytesForSample, valueBytes } from './output-sizes.js';
import { exposeTargets, resolveTargets, type Target } from './targets.js';
import { runPasses } from './sample-passes.js';

/**
 * Measure the range of each named tensor by running the float model on calibration samples.
 * The tensors become outputs of a copy of the model, which `createRunner` loads (onnxruntime, in
 * practice); each sample's outputs go to one observer per tensor and are dropped, so memory holds
 * the observers (a few KiB each) and one run's outputs, however many samples there are. When one
 * run's outputs would pass `maxOutputBytesPerRun`, the tensors are observed in groups, one pass
 * over the data per group.
 */
export async function calibrate(
  model: Model,
  tensorNames: readonly string[],
  source: SampleSource,
  createRunner: (modelBytes: Uint8Array) => Promise<Runner>,
  options: CalibrateOptions,
): Promise<CalibrationResult> {
  checkOptions(options);
  const begin = performance.now();
  const timings = { prepare: 0, read: 0, run: 0, observe: 0, ranges: 0, total: 0 };
  const originalBytes = encodeModel(model);
  const copy = decodeModel(originalBytes);
  inferTypes(copy);
  const { targets, skipped } = resolveTargets(copy, tensorNames);
  const observers = new Map<string, Observer>(targets.map((t) => [t.name, createObserver(options.method, options)]));
  // Elements seen per tensor, finite or not: a tensor with none was never computed (an If branch
  // the samples did not take), which calls for other advice than one that was only NaN.
  const elements = new Map<string, number>();
  const observe = (name: string, values: Float32Array) => {
    elements.set(name, (elements.get(name) ?? 0) + values.length);
    observers.get(name)!.observe(values);
  };

  for (const t of targets) if (t.kind === 'constant') observe(t.name, toFloat32(t.value.constTensor()!));
  const inputs = targets.filter((t) => t.kind === 'input');
  const outputs = exposeTargets(copy, targets.filter((t) => t.kind === 'output'), skipped);
  const runner = outputs.length > 0 ? await createRunner(encodeModel(copy)) : undefined;
  let groups: Target[][] = [outputs];
  timings.prepare = performance.now() - begin;

  let samples = 0;
  if (inputs.length > 0 || runner) {
    try {
      const passes = await runPasses({
        source,
        maxSamples: options.maxSamples,
        onProgress: options.onProgress,
        plan: (feeds) => {
          const t = performance.now();
          groups = groupOutputs(outputs, originalBytes, feeds, options.maxOutputBytesPerRun ?? DEFAULT_MAX_OUTPUT_BYTES);
          timings.prepare += performance.now() - t;
          return groups.length;
        },
        visit: async (feeds, pass) => {
          if (pass === 0) for (const t of inputs) observe(t.name, floatValues(requireFeed(feeds, t.name), t.name));
          const group = groups[pass]!;
          if (!runner || group.length === 0) return;
          let t = performance.now();
          const results = await runner.run(feeds, group.map((g) => g.fetch));
          timings.run += performance.now() - t;
          t = performance.now();
          for (const g of group) observe(g.name, floatValues(results[g.fetch]!, g.name));
          timings.observe += performance.now() - t;
        },
      });
      samples = passes.samples;
      timings.read = passes.readMs;
    } finally {
      await runner?.dispose();
    }
  }

  const t = performance.now();
  const ranges = new Map<string, Range>();
  for (const target of [...targets.filter((t) => t.kind !== 'output'), ...outputs]) {
    const range = observers.get(target.name)!.range();
    if (range) ranges.set(target.name, range);
    else skipped.push(noValues(target.name, elements.get(target.name) ?? 0));
  }
  timings.ranges = performance.now() - t;
  timings.total = performance.now() - begin;
  return { ranges, samples, groups: groups.length, skipped, timingsMs: timings };
}

function groupOutputs(outputs: Target[], modelBytes: Uint8Array, feeds: Feeds, budget: number): Target[][] {
  let sizes = outputs.map((t) => valueBytes(t.value));
  if (sizes.some((s) => s === undefined)) sizes = bytesForSample(modelBytes, feeds, outputs.map((t) => t.name));
  const groups = planGroups(sizes, budget).map((indices) => indices.map((i) => outputs[i]!));
  return groups.length > 0 ? groups : [[]];
}

function requireFeed(feeds: Feeds, name: string) {
  const fed = feeds[name];
  if (!fed) throw new LowbitError(`the calibration samples have no value for input '${name}'`, { code: 'bad-data', tensor: name });
  return fed;
}

function noValues(name: string, elements: number): Diagnostic {
  const reason =
    elements === 0
      ? 'no value was computed on the calibration samples (an empty tensor, or one inside an If branch they did not take): samples that take that branch give a range'
      : `its ${elements} value(s) on the calibration samples were all NaN or infinite`;
  return { code: 'calib-no-values', severity: 'warning', value: name, reason };
}
