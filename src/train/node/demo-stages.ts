import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomically } from '../../node/output-paths.js';
import { dirname } from 'node:path';
import type { ProgressReporter } from '../../util/progress.js';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint.js';
import type { Dataset } from '../data.js';
import type { LossSpec } from '../loss.js';
import type { Net } from '../net.js';
import type { Recipe } from '../recipe.js';
import { train, type EpochSummary, type TrainResult } from '../trainer.js';
import { WorkerShardRunner } from './worker-pool.js';

/** Shards per step: fixed, so that the result does not depend on the number of threads. */
export const SHARDS = 2;

export interface StageContext {
  data: Dataset;
  threads: number;
  workerUrl?: URL;
  progress: (label: string, unit: string) => ProgressReporter;
}

export interface StageRun {
  seconds: number;
  imagesPerSecond: number;
  epochs: EpochSummary[];
}

/** Train `net` on `indices` with a recipe, on worker threads when there are several, with a progress line. */
export async function runStage(ctx: StageContext, net: Net, indices: Int32Array, label: string, options: { recipe: Recipe; epochs: number; seed: number; loss?: LossSpec }): Promise<StageRun> {
  const runner = ctx.threads > 1 ? new WorkerShardRunner(net, ctx.data, { threads: ctx.threads, shards: SHARDS, ...(ctx.workerUrl ? { workerUrl: ctx.workerUrl } : {}) }) : undefined;
  const progress = ctx.progress(label, 'steps');
  let epoch = 1;
  let lastLoss: number | undefined;
  let result: TrainResult;
  try {
    result = await train(net, ctx.data, indices, {
      epochs: options.epochs,
      batchSize: options.recipe.batchSize,
      optimizer: options.recipe.optimizer,
      schedule: options.recipe.schedule,
      shift: options.recipe.shift,
      seed: options.seed,
      shards: SHARDS,
      ...(options.loss ? { loss: options.loss } : {}),
      ...(runner ? { runner } : {}),
      onStep: (done, total) => progress.update(done, total, { note: `epoch ${epoch}/${options.epochs}${lastLoss !== undefined ? ` · loss ${lastLoss.toFixed(4)}` : ''}` }),
      onEpoch: (e) => {
        epoch = e.epoch + 1;
        lastLoss = e.loss;
      },
    });
  } finally {
    await runner?.dispose();
  }
  progress.finish(`${label}: ${options.epochs} epoch(s) in ${result.seconds.toFixed(1)} s, ${Math.round(result.imagesPerSecond)} images/s on ${Math.max(1, Math.min(ctx.threads, SHARDS))} thread(s); last epoch loss ${result.epochs.at(-1)?.loss.toFixed(4) ?? '—'}`);
  return { seconds: result.seconds, imagesPerSecond: result.imagesPerSecond, epochs: result.epochs };
}

/** A short stable digest of anything JSON-able (cache keys). */
export function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

/** Digest of a dataset's contents: a cache made from other digits is never reused. */
export function dataDigest(data: Dataset): string {
  const h = createHash('sha256');
  h.update(new Uint8Array(data.images.buffer, data.images.byteOffset, data.images.byteLength));
  h.update(data.labels);
  return h.digest('hex').slice(0, 32);
}

/** A cached network and how it was trained, when the file exists and was made with the same key. */
export function readCached(path: string, key: string): { net: Net; run: StageRun } | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const { net, meta } = loadCheckpoint(readFileSync(path), path);
    if (meta.key !== key) return undefined;
    return { net, run: meta.run as StageRun };
  } catch {
    return undefined; // an unreadable cache is only a cache: train again
  }
}

export function writeCached(path: string, key: string, net: Net, run: StageRun): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomically(path, saveCheckpoint(net, { key, run }));
}
