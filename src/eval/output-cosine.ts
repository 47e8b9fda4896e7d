import type { Model } from '../ir/model.js';
import type { SampleSource } from '../data/samples.js';
import type { Feeds, HostTensor, Runner } from '../runner/runner.js';
import { encodeModel } from '../serde/encode.js';
import { encodeWithMaps, peakMaskMaps } from './peak-masks.js';
import { openWithMapOutputs } from './map-runner.js';
import { FidelityAccumulator } from './metrics.js';
import { asNumbers } from './verify.js';
import type { CreateRunner } from './per-layer.js';
import { timeOpened } from './bench.js';

/**
 * A measure for quantizeToTarget: the float model's outputs on up to `limit` samples are computed
 * once and kept; each call runs a quantized model on the same samples and returns the cosine of
 * each output against them, over all samples together. A peak mask's map (eval/peak-masks.ts) is
 * measured too, under the map's own name: the mask jumps with any change, its map does not, so the
 * search can steer by the map where it cannot by the mask.
 */
export async function outputCosineMeasure(float: Model, source: SampleSource, createRunner: CreateRunner, limit = 8): Promise<(quantized: Model) => Promise<Record<string, number>>> {
  const samples: Feeds[] = [];
  for await (const feeds of source.samples()) {
    if (samples.length >= limit) break;
    samples.push(feeds);
  }
  const maps = peakMaskMaps(float);
  // The masks from the model as it is, the maps from a copy that lists them as outputs (map-runner.ts).
  const open = (model: Model): Promise<Runner> => openWithMapOutputs(createRunner, encodeModel(model), maps.size ? encodeWithMaps(model, maps) : undefined, [...maps.values()]);
  const reference: Record<string, HostTensor>[] = [];
  const runner = await open(float);
  try {
    for (const feeds of samples) reference.push(await runner.run(feeds));
  } finally {
    await runner.dispose();
  }
  return async (quantized) => {
    const candidate = await open(quantized);
    try {
      const accumulators = new Map<string, FidelityAccumulator>();
      for (const [i, feeds] of samples.entries()) {
        const out = await candidate.run(feeds);
        for (const [name, ref] of Object.entries(reference[i]!)) {
          if (!out[name]) continue;
          let acc = accumulators.get(name);
          if (!acc) accumulators.set(name, (acc = new FidelityAccumulator()));
          acc.add(asNumbers(ref), asNumbers(out[name]!));
        }
      }
      return Object.fromEntries([...accumulators].map(([name, acc]) => [name, acc.result().cosine]));
    } finally {
      await candidate.dispose();
    }
  };
}

/**
 * A latency check for quantizeToTarget: the median latency of a quantized model over the float
 * model's, runs interleaved on `feeds` (see benchRunners). `createRunner` sets the threads.
 */
export function latencyRatioMeasure(float: Model, feeds: Feeds, createRunner: CreateRunner, runs = 10): (quantized: Model) => Promise<number> {
  const measure = latencyRatiosMeasure(float, feeds, createRunner, runs);
  return async (quantized) => (await measure([quantized]))[0]!;
}

/**
 * latencyRatioMeasure for several quantized models at once: the float model and all of them run in
 * the same interleaved rounds, so that their ratios to float can be compared with one another.
 */
export function latencyRatiosMeasure(float: Model, feeds: Feeds, createRunner: CreateRunner, runs = 10): (quantized: Model[]) => Promise<number[]> {
  const floatBytes = encodeModel(float);
  return async (quantized) => {
    const open = [() => createRunner(floatBytes), ...quantized.map((m) => () => createRunner(encodeModel(m)))];
    return (await timeOpened(open, feeds, { runs })).models.slice(1).map((m) => m.ratio);
  };
}
