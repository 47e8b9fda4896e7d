import type { SampleSource } from '../data/samples.js';
import type { Feeds } from '../runner/runner.js';
import { LowbitError } from '../errors.js';
import type { CalibrationProgress } from './options.js';

export interface PassPlan {
  source: SampleSource;
  maxSamples: number | undefined;
  /** Called with the first sample, before any is visited: returns how many passes to make. */
  plan: (firstFeeds: Feeds) => number;
  /** Called for each sample of each pass; nothing of the sample may be kept. */
  visit: (feeds: Feeds, pass: number) => Promise<void>;
  onProgress: ((p: CalibrationProgress) => void) | undefined;
}

export interface PassResult {
  samples: number;
  /** Time spent waiting for the source. */
  readMs: number;
}

/**
 * Stream the source once per pass. Every pass must see the same samples (each group of tensors is
 * measured on all of them), so a source that yields a different count the second time is an error.
 */
export async function runPasses(plan: PassPlan): Promise<PassResult> {
  const { source, maxSamples } = plan;
  let passes = 1;
  const limit = maxSamples ?? Infinity;
  let perPass = Math.min(source.size ?? Infinity, limit);
  let readMs = 0;
  let done = 0;
  let started: number | undefined;
  let samples = 0;
  for (let pass = 0; pass < passes; pass++) {
    let count = 0;
    const iterator = source.samples()[Symbol.asyncIterator]();
    try {
      while (count < limit) {
        const t = performance.now();
        const next = await iterator.next();
        readMs += performance.now() - t;
        if (next.done) break;
        if (pass === 0 && count === 0) passes = plan.plan(next.value);
        started ??= performance.now();
        await plan.visit(next.value, pass);
        count++;
        done++;
        plan.onProgress?.(progress(done, Number.isFinite(perPass) ? perPass * passes : undefined, started, pass, passes));
      }
    } finally {
      await iterator.return?.();
    }
    if (pass === 0) {
      if (count === 0) throw new LowbitError(`data source ${source.label} gave no samples`, { code: 'no-samples' });
      samples = count;
      perPass = count;
    } else if (count !== samples) {
      throw new LowbitError(`data source ${source.label} gave ${count} samples on pass ${pass + 1} but ${samples} on the first; calibration in groups needs the same samples each time`, {
        code: 'calib-source-changed',
      });
    }
  }
  return { samples, readMs };
}

function progress(done: number, total: number | undefined, started: number, pass: number, passes: number): CalibrationProgress {
  const p: CalibrationProgress = { done };
  if (total !== undefined) {
    p.total = total;
    p.etaSeconds = ((performance.now() - started) / 1000 / done) * Math.max(0, total - done);
  }
  if (passes > 1) {
    p.group = pass + 1;
    p.groups = passes;
  }
  return p;
}
