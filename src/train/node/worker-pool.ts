import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LowbitError } from '../../errors.js';
import { sharedFloats, type Dataset } from '../data.js';
import { LocalShardRunner } from '../local-runner.js';
import type { LossOutcome } from '../loss.js';
import type { Net } from '../net.js';
import type { ShardJob, ShardRunner } from '../shard.js';
import type { WorkerInit, WorkerReply, WorkerStep } from './worker-protocol.js';

export interface WorkerPoolOptions {
  /** Threads in all, this one included (shards are dealt round-robin; this thread takes shard 0). */
  threads: number;
  /** Shards per step (the trainer's `shards`). */
  shards: number;
  /** The worker script (default: train-worker.js beside this file, i.e. the built one). */
  workerUrl?: URL;
}

/** The built worker script, or undefined when running from sources that were not compiled (tests). */
export function defaultWorkerUrl(): URL | undefined {
  const url = new URL('./train-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
}

/**
 * Shards of each step computed on worker threads (data parallelism), this thread computing its own
 * share meanwhile. Parameters, state and data are shared, never copied; each step costs one message
 * each way per worker. The results are bit-identical to LocalShardRunner's.
 */
export class WorkerShardRunner implements ShardRunner {
  private readonly workers: { worker: Worker; pending: Pending | undefined; shards: number[] }[] = [];
  private readonly local: LocalShardRunner;
  private readonly localShards: number[] = [];
  private readonly grads = new Map<number, Float32Array>();
  private readonly stats = new Map<number, Float32Array>();
  private failure: Error | undefined;

  constructor(net: Net, data: Dataset, options: WorkerPoolOptions) {
    const url = options.workerUrl ?? defaultWorkerUrl();
    if (!url) throw new LowbitError('the training worker script is not built (run `npm run build`), or use one thread', { code: 'no-worker' });
    if (typeof SharedArrayBuffer !== 'function' || !(net.params.buffer instanceof SharedArrayBuffer) || !(data.images.buffer instanceof SharedArrayBuffer)) {
      throw new LowbitError('worker threads need the network and the data in shared memory', { code: 'not-shared' });
    }
    this.local = new LocalShardRunner(net, data);
    const threads = Math.max(1, Math.min(options.threads, options.shards));
    const assigned: number[][] = Array.from({ length: threads }, () => []);
    for (let s = 0; s < options.shards; s++) assigned[s % threads]!.push(s);
    this.localShards = assigned[0]!;
    for (let t = 1; t < threads; t++) {
      const shards = assigned[t]!.map((index) => {
        const grads = sharedFloats(net.grads.length);
        const stats = sharedFloats(net.stats.length);
        this.grads.set(index, grads);
        this.stats.set(index, stats);
        return { index, grads, stats };
      });
      const init: WorkerInit = { spec: net.spec, params: net.params, state: net.state, images: data.images, labels: data.labels, shape: data.shape, classes: data.classes, shards };
      const worker = new Worker(url, { workerData: init });
      const entry = { worker, pending: undefined as Pending | undefined, shards: assigned[t]! };
      worker.on('message', (reply: WorkerReply) => {
        const p = entry.pending;
        entry.pending = undefined;
        p?.resolve(reply);
      });
      worker.on('error', (error) => this.fail(entry, error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(entry, new Error(`training worker exited with code ${code}`));
      });
      this.workers.push(entry);
    }
  }

  async run(jobs: readonly ShardJob[]) {
    if (this.failure) throw this.failure;
    const replies = this.workers.map((entry) => {
      const step: WorkerStep = { jobs: entry.shards.filter((s) => s < jobs.length).map((s) => ({ ...jobs[s]!, shard: s })) };
      return new Promise<WorkerReply>((resolve, reject) => {
        entry.pending = { resolve, reject };
        entry.worker.postMessage(step);
      });
    });
    // This thread's shards while the workers compute theirs.
    const results = new Array<{ outcome: LossOutcome; grads: Float32Array; stats: Float32Array }>(jobs.length);
    const mine = this.localShards.filter((s) => s < jobs.length);
    const localResults = await this.local.run(mine.map((s) => jobs[s]!));
    mine.forEach((s, i) => (results[s] = localResults[i]!));
    for (const reply of await Promise.all(replies)) {
      if (!reply.ok) throw new LowbitError(`a training worker failed: ${reply.error}`, { code: 'worker-failed' });
      for (const { shard, outcome } of reply.outcomes) results[shard] = { outcome, grads: this.grads.get(shard)!, stats: this.stats.get(shard)! };
    }
    return results;
  }

  async dispose(): Promise<void> {
    const all = this.workers.splice(0);
    for (const w of all) w.worker.removeAllListeners('exit');
    await Promise.all(all.map((w) => w.worker.terminate()));
  }

  private fail(entry: { pending: Pending | undefined }, error: Error): void {
    this.failure ??= new LowbitError(`a training worker failed: ${error.message}`, { code: 'worker-failed', cause: error });
    const p = entry.pending;
    entry.pending = undefined;
    p?.reject(this.failure);
  }
}
