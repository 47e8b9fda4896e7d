import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { LowbitError, errorMessage } from '../errors.js';
import type { Feeds } from './runner.js';
import { sessionOptions, toOrtFeeds, type OrtModule } from './ort-session-runner.js';

/** One entry of onnxruntime's profile (Chrome trace format): a node's kernel run, among others. */
interface ProfileEvent {
  cat?: string;
  name?: string;
  dur?: number;
}

const KERNEL_SUFFIX = '_kernel_time';

/**
 * Milliseconds per run of every node onnxruntime executes, by the name of the node it ran (after
 * its own fusions and layout changes: a QLinearConv keeps the Conv's name, plus `_token_N` when its
 * layout was changed; an NCHWc float Conv is named after its output plus `_nchwc`). Measured with
 * onnxruntime's profiler over `runs` runs after `warmup` untimed ones. Node-only: the profile is a
 * file, written to a temporary folder and removed.
 */
export async function profileNodeTimes(model: Uint8Array, feeds: Feeds, options: { runs?: number; warmup?: number; threads?: number } = {}): Promise<Map<string, number>> {
  const runs = options.runs ?? 10;
  const warmup = options.warmup ?? 2;
  const dir = mkdtempSync(join(tmpdir(), 'lowbit-profile-'));
  try {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model, { ...sessionOptions({ ...(options.threads ? { threads: options.threads } : {}) }), enableProfiling: true, profileFilePrefix: join(dir, 'profile') });
    } catch (error) {
      throw new LowbitError(`onnxruntime cannot load the model to profile it: ${errorMessage(error)}`, { code: 'runtime-load-failed', cause: error });
    }
    const ortFeeds = toOrtFeeds(ort as unknown as OrtModule, feeds) as Record<string, ort.Tensor>;
    for (let i = 0; i < warmup + runs; i++) await session.run(ortFeeds);
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new LowbitError('onnxruntime wrote no profile', { code: 'runtime-failed' });
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[];
    // The profile covers every run since the session started, warm-up included: each node's median
    // over its runs leaves the slow first ones (and a noisy neighbour's bursts) out.
    const runsByNode = new Map<string, number[]>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name?.endsWith(KERNEL_SUFFIX) || e.dur === undefined) continue;
      const node = e.name.slice(0, -KERNEL_SUFFIX.length);
      let list = runsByNode.get(node);
      if (!list) runsByNode.set(node, (list = []));
      list.push(e.dur / 1000);
    }
    return new Map([...runsByNode].map(([node, list]) => [node, median(list)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
