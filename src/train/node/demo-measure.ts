import { DataType } from '../../ir/dtype.js';
import { AccuracyAccumulator, type AccuracyResult } from '../../eval/accuracy.js';
import { benchRunners, type ModelTiming } from '../../eval/bench.js';
import { createNodeRunner } from '../../runner/ort-node.js';
import type { Runner } from '../../runner/runner.js';
import type { ProgressReporter } from '../../util/progress.js';
import { datasetSource, gatherBatch, labelsOf, type Dataset } from '../data.js';
import { OUTPUT_NAME } from '../spec.js';

export interface MeasuredModel {
  accuracy: AccuracyResult;
  /** onnxruntime's predicted class for each held-out digit, in order. */
  predictions: Int32Array;
  /** One digit per run. */
  latency: ModelTiming;
  /** A batch of BATCH digits per run (divide by BATCH for the time per digit). */
  batchLatency: ModelTiming;
}

/** Digits per run for the batched timing. */
export const BATCH = 100;

export interface MeasureOptions {
  /** Timed single-digit runs per model (default 300), after `warmup` (default 30). */
  runs?: number;
  warmup?: number;
  /** onnxruntime intra-op threads for every session (default 1: a LeNet is too small to split). */
  threads?: number;
  progress?: (label: string, unit: string) => ProgressReporter;
}

/**
 * Each model file in onnxruntime-node: top-1 on the held-out digits (lowbit's own accuracy counting,
 * ties to the lowest class) with every prediction kept for the page, then latency per image: one
 * digit per run, runs interleaved across the models (benchRunners) so that a busy machine slows all
 * of them alike.
 */
export async function measureModels(paths: string[], data: Dataset, test: Int32Array, options: MeasureOptions = {}): Promise<MeasuredModel[]> {
  const runners: Runner[] = [];
  try {
    for (const path of paths) runners.push(await createNodeRunner(path, { threads: options.threads ?? 1 }));
    const labels = labelsOf(data, test);
    const accumulators = runners.map(() => new AccuracyAccumulator(labels, OUTPUT_NAME, 'the held-out digits'));
    const predictions = runners.map(() => new Int32Array(test.length));
    const evaluating = options.progress?.(`evaluating ${paths.length} models on ${test.length} held-out digits`, 'batches');
    const source = datasetSource(data, test, 100, 'held-out digits');
    let row = 0;
    let batches = 0;
    for await (const feeds of source.samples()) {
      const rows = feeds[Object.keys(feeds)[0]!]!.dims[0]!;
      for (let m = 0; m < runners.length; m++) {
        const scores = (await runners[m]!.run(feeds, [OUTPUT_NAME]))[OUTPUT_NAME]!;
        const values = scores.data as Float32Array;
        accumulators[m]!.add(values, scores.dims);
        const classes = scores.dims[1]!;
        for (let r = 0; r < rows; r++) predictions[m]![row + r] = argmaxRow(values, r * classes, classes);
      }
      row += rows;
      evaluating?.update(++batches, source.size);
    }
    evaluating?.finish();

    const targets = runners.map((runner, i) => ({ name: paths[i]!, runner }));
    const runs = options.runs ?? 300;
    const timing = options.progress?.(`timing ${paths.length} models, one digit per run`, 'rounds');
    const single = await benchRunners(targets, digits(data, test, 1), { runs, warmup: options.warmup ?? 30, onProgress: (done, total) => timing?.update(done, total) });
    timing?.finish();
    const batchRuns = Math.max(3, Math.round(runs / 10));
    const batchTiming = options.progress?.(`timing ${paths.length} models, ${BATCH} digits per run`, 'rounds');
    const batched = await benchRunners(targets, digits(data, test, BATCH), { runs: batchRuns, warmup: 3, onProgress: (done, total) => batchTiming?.update(done, total) });
    batchTiming?.finish();
    return runners.map((_, i) => ({ accuracy: accumulators[i]!.result(), predictions: predictions[i]!, latency: single.models[i]!, batchLatency: batched.models[i]! }));
  } finally {
    await Promise.all(runners.map((r) => r.dispose()));
  }
}

/** The first `count` held-out digits (repeated if there are fewer) as one input batch. */
function digits(data: Dataset, test: Int32Array, count: number) {
  const indices = Int32Array.from({ length: count }, (_, i) => test[i % test.length]!);
  const x = new Float32Array(count * data.shape.reduce((a, b) => a * b, 1));
  gatherBatch(data, indices, x, new Uint8Array(count));
  return { image: { dtype: DataType.FLOAT, dims: [count, ...data.shape], data: x } };
}

/** The class ranked first, ties to the lowest index (the rule of labelRank, which counts top-1). */
function argmaxRow(scores: Float32Array, start: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (scores[start + c]! > scores[start + best]!) best = c;
  return best;
}
