// Timing models side by side in onnxruntime-node: warm-up, then runs interleaved across the models
// (A B C A B C …) so that drift on a shared machine hits all of them alike.
import * as ort from 'onnxruntime-node';
import { median, percentile } from './lib.mjs';

export async function session(source, threads = 2) {
  return ort.InferenceSession.create(source, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
}

export function tensor(dtype, dims, data) {
  return new ort.Tensor(dtype, data, dims);
}

/** Time each session on the same feeds; returns [{median, p10, p90, runs}] in the given order. */
export async function timeInterleaved(sessions, feeds, { warmup = 2, runs = 10 } = {}) {
  const times = sessions.map(() => []);
  for (let w = 0; w < warmup; w++) for (const s of sessions) await s.run(feeds);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < sessions.length; i++) {
      const t = performance.now();
      await sessions[i].run(feeds);
      times[i].push(performance.now() - t);
    }
  }
  return times.map((t) => ({ median: median(t), p10: percentile(t, 10), p90: percentile(t, 90), runs: t.length }));
}
