// Timing models side by side in onnxruntime-node: warm-up, then runs interleaved across the models
// (A B C A B C …) so that drift on a shared machine hits all of them alike.
import * as ort from 'onnxruntime-node';
import { benchRunners } from '../dist/index-node.js';

/**
 * Worker threads spin inside a run and stop when it returns, as `lowbit bench` has them do by
 * default: spinning during a run spares each parallel section a wake-up, and stopping after it
 * keeps an idle model's threads off the cores while the next model runs (src/runner/runner.ts,
 * RunnerOptions.spinning).
 */
const SPINNING = {
  'during-runs': { extra: { session: { force_spinning_stop: '1' } } },
  off: { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } },
};

/** An onnxruntime-node session; `spinning` is 'during-runs' (the default) or 'off', as lowbit's RunnerOptions. */
export async function session(source, threads = 2, spinning = 'during-runs') {
  return ort.InferenceSession.create(source, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3, ...SPINNING[spinning] });
}

export function tensor(dtype, dims, data) {
  return new ort.Tensor(dtype, data, dims);
}

/**
 * Time each session on the same feeds with the library's own `benchRunners` (what `lowbit bench`
 * runs): after the warm-up, rounds alternate A B C, C B A, … Returns, in the given order,
 * [{median, p10, p90, runs, ratio}], where `ratio` is the median over the rounds of this session's
 * time over the first session's time in the same round (1 for the first): paired within a round,
 * it cancels load that comes and goes on a shared machine better than a ratio of two medians.
 */
export async function timeInterleaved(sessions, feeds, { warmup = 2, runs = 10 } = {}) {
  const targets = sessions.map((s, i) => ({ name: String(i), runner: { run: () => s.run(feeds) } }));
  const result = await benchRunners(targets, {}, { runs, warmup });
  return result.models.map((m) => ({ median: m.medianMs, p10: m.p10Ms, p90: m.p90Ms, runs: m.runs, ratio: m.ratio }));
}
