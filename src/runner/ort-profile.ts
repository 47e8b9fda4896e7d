import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { LowbitError, errorMessage } from '../errors.js';
import type { Feeds } from './runner.js';
import { sessionInputs, sessionOptions, toOrtFeeds, type OrtModule } from './ort-session-runner.js';

/** One entry of onnxruntime's profile (Chrome trace format): a node's kernel run, among others. */
interface ProfileEvent {
  cat?: string;
  name?: string;
  dur?: number;
}

const KERNEL_SUFFIX = '_kernel_time';

export interface ProfileOptions {
  /** Runs of each model to profile (default 10); with `budgetMs`, the fewest. */
  runs?: number;
  /** More runs, up to `maxRuns`, while one run of every model fits this many times in `budgetMs`. */
  budgetMs?: number;
  maxRuns?: number;
  warmup?: number;
  threads?: number;
}

/**
 * Milliseconds per run of every node onnxruntime executes in each model, by the name of the node it
 * ran (after its own fusions and layout changes: a QLinearConv keeps the Conv's name, plus
 * `_token_N` when its layout was changed; an NCHWc float Conv is named after its output plus
 * `_nchwc`). Measured with onnxruntime's profiler over `runs` runs after `warmup` untimed ones.
 * The models' runs are interleaved (one run of each in turn) so that a shared machine's load
 * weighs on all of them alike: one node's time in two models profiled minutes apart compares the
 * machine's load as much as the kernels. Node-only: the profiles are files, written to a temporary
 * folder and removed.
 */
export async function profileNodeTimesSideBySide(models: readonly Uint8Array[], feeds: Feeds, options: ProfileOptions = {}): Promise<Map<string, number>[]> {
  const runs = Math.max(1, options.runs ?? 10);
  const warmup = options.warmup ?? 2;
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-profile-'));
  const sessions: ort.InferenceSession[] = [];
  try {
    for (const [i, model] of models.entries()) {
      try {
        sessions.push(await ort.InferenceSession.create(model, { ...sessionOptions({ ...(options.threads ? { threads: options.threads } : {}) }), enableProfiling: true, profileFilePrefix: join(dir, `profile-${i}`) }));
      } catch (error) {
        throw new LowbitError(`onnxruntime cannot load the model to profile it: ${errorMessage(error)}`, { code: 'runtime-load-failed', cause: error });
      }
    }
    // Each model's own: an fp16 model with float16 inputs takes the float feeds converted.
    const ortFeeds = sessions.map((session) => toOrtFeeds(ort as unknown as OrtModule, feeds, sessionInputs(session)) as Record<string, ort.Tensor>);
    const runAll = async () => {
      for (const [i, session] of sessions.entries()) {
        try {
          await session.run(ortFeeds[i]!);
        } catch (error) {
          throw new LowbitError(`onnxruntime failed to run the model to profile it: ${errorMessage(error)}`, { code: 'runtime-failed', cause: error });
        }
      }
    };
    for (let i = 0; i < warmup; i++) await runAll();
    // A small model's nodes take microseconds, where the profiler's resolution and a neighbour's
    // bursts weigh most: give it more runs, as many as the time budget allows.
    const started = performance.now();
    await runAll();
    const roundMs = performance.now() - started;
    const planned = options.budgetMs ? Math.max(runs, Math.min(options.maxRuns ?? runs, Math.floor(options.budgetMs / Math.max(roundMs, 1e-3)))) : runs;
    for (let i = 1; i < planned; i++) await runAll();
    for (const session of sessions) session.endProfiling();
    const written = readdirSync(dir);
    return models.map((_, i) => {
      // onnxruntime names the file after the prefix, plus the time and `.json`.
      const file = written.find((f) => f.startsWith(`profile-${i}_`) && f.endsWith('.json'));
      if (!file) throw new LowbitError('onnxruntime wrote no profile', { code: 'runtime-failed' });
      return nodeMedians(JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[]);
    });
  } finally {
    for (const session of sessions) await session.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Each node's median kernel time over the profile's runs. The profile covers every run since the
 * session started, warm-up included: the median leaves the slow first ones (and a noisy
 * neighbour's bursts) out.
 */
function nodeMedians(events: ProfileEvent[]): Map<string, number> {
  const runsByNode = new Map<string, number[]>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith(KERNEL_SUFFIX) || e.dur === undefined) continue;
    const node = e.name.slice(0, -KERNEL_SUFFIX.length);
    let list = runsByNode.get(node);
    if (!list) runsByNode.set(node, (list = []));
    list.push(e.dur / 1000);
  }
  return new Map([...runsByNode].map(([node, list]) => [node, median(list)]));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
