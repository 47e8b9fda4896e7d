import type { Feeds, Runner } from '../runner/runner.js';
import { UsageError } from '../errors.js';
import { matchFeedTypes } from '../runner/feed-types.js';

export interface BenchTarget {
  name: string;
  runner: Runner;
}

export interface BenchOptions {
  /** Timed runs per model (default 20). */
  runs?: number;
  /** Untimed runs per model first, so one-time costs (allocation, kernel choice) stay out (default 3). */
  warmup?: number;
  /**
   * Stop early once the timed runs have taken this many milliseconds, after at least `minRuns`
   * rounds (default 3): a check that must not take minutes on a large model. Default: no limit.
   */
  budgetMs?: number;
  minRuns?: number;
  /** Milliseconds from some fixed point; tests pass a fake clock. */
  clock?: () => number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Latency of one model, in milliseconds. `ratio` is the median, over the rounds, of this model's
 * time over the first model's time in the same round: paired within a round, it cancels load that
 * comes and goes on a shared machine better than a ratio of two medians does.
 */
export interface ModelTiming {
  name: string;
  runs: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  ratio: number;
}

export interface BenchResult {
  runs: number;
  warmup: number;
  models: ModelTiming[];
}

export const DEFAULT_RUNS = 20;
export const DEFAULT_WARMUP = 3;

/**
 * Time every model on the same feeds. After the warm-up, runs are interleaved across the models
 * (A B, then B A, …) rather than done model by model, so that drift on a shared machine (other jobs,
 * clock changes, thermal limits) falls on all of them alike and their ratios stay comparable.
 */
export async function benchRunners(targets: BenchTarget[], feeds: Feeds, options: BenchOptions = {}): Promise<BenchResult> {
  const runs = options.runs ?? DEFAULT_RUNS;
  const warmup = options.warmup ?? DEFAULT_WARMUP;
  if (targets.length === 0) throw new UsageError('give at least one model to bench', { code: 'no-models' });
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`runs must be a whole number of at least 1, got ${runs}`, { code: 'bad-option' });
  if (!Number.isInteger(warmup) || warmup < 0) throw new UsageError(`warm-up must be a whole number, got ${warmup}`, { code: 'bad-option' });
  const clock = options.clock ?? (() => performance.now());
  // Converted here, once, where a model takes other float types than the feeds (an fp16 model with
  // float16 inputs against its float twin): a runner would convert at every run, inside the timing.
  const fed = targets.map((t) => matchFeedTypes(feeds, t.runner.inputs));
  for (let w = 0; w < warmup; w++) for (const [i, t] of targets.entries()) await t.runner.run(fed[i]!);
  const times = targets.map(() => [] as number[]);
  const minRuns = Math.min(runs, options.minRuns ?? 3);
  let spent = 0;
  let rounds = 0;
  for (let r = 0; r < runs && !(r >= minRuns && spent >= (options.budgetMs ?? Infinity)); r++) {
    // Every other round in reverse (A B, B A, …): no model always runs right after the same one,
    // so the caches and clocks each leaves behind fall on all alike.
    for (let k = 0; k < targets.length; k++) {
      const i = r % 2 === 0 ? k : targets.length - 1 - k;
      const start = clock();
      await targets[i]!.runner.run(fed[i]!);
      const took = clock() - start;
      times[i]!.push(took);
      spent += took;
    }
    rounds++;
    options.onProgress?.(r + 1, runs);
  }
  const stats = times.map(summarizeTimes);
  const pairedRatio = (i: number) => quantile(times[i]!.map((t, r) => t / times[0]![r]!).sort((a, b) => a - b), 0.5);
  return {
    runs: rounds,
    warmup,
    models: targets.map((t, i) => ({ name: t.name, runs: rounds, ...stats[i]!, ratio: i === 0 ? 1 : pairedRatio(i) })),
  };
}

/**
 * Open every runner, time them side by side with benchRunners (each named by `names`, else
 * "model 1", "model 2", …), and dispose of them, also when opening or a run fails.
 */
export async function timeOpened(open: (() => Promise<Runner>)[], feeds: Feeds, options: BenchOptions & { names?: string[] } = {}): Promise<BenchResult> {
  const runners: Runner[] = [];
  try {
    for (const o of open) runners.push(await o());
    return await benchRunners(runners.map((runner, i) => ({ name: options.names?.[i] ?? `model ${i + 1}`, runner })), feeds, options);
  } finally {
    for (const r of runners.reverse()) await r.dispose();
  }
}

/** timeOpened for two: a reference and a candidate (names "reference" and "candidate" unless given). */
export async function timeSideBySide(openReference: () => Promise<Runner>, openCandidate: () => Promise<Runner>, feeds: Feeds, options: BenchOptions & { names?: [string, string] } = {}): Promise<BenchResult> {
  return timeOpened([openReference, openCandidate], feeds, { ...options, names: options.names ?? ['reference', 'candidate'] });
}

/**
 * How long `candidate` takes against `reference` on `feeds`: the paired ratio of benchRunners
 * (above 1: slower). Both runners are opened here and disposed of afterwards.
 */
export async function latencyRatio(openReference: () => Promise<Runner>, openCandidate: () => Promise<Runner>, feeds: Feeds, runs = 10): Promise<number> {
  return (await timeSideBySide(openReference, openCandidate, feeds, { runs })).models[1]!.ratio;
}

export function summarizeTimes(times: readonly number[]): Omit<ModelTiming, 'name' | 'runs' | 'ratio'> {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    medianMs: quantile(sorted, 0.5),
    p10Ms: quantile(sorted, 0.1),
    p90Ms: quantile(sorted, 0.9),
    meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
  };
}

/**
 * The q-quantile of sorted values, interpolating linearly between the two nearest ranks (numpy's
 * default), so the median of an even count is the mean of the middle two.
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('no values');
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}
