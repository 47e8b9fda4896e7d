import { gatherBatch, gatherShifted, sampleSize, type Dataset } from './data.js';
import { computeLoss, type LossOutcome, type LossSpec } from './loss.js';
import type { Net } from './net.js';

/** One shard of a training step: which samples, and how their gradients are scaled. */
export interface ShardJob {
  indices: Int32Array;
  /** 1 / (samples in the whole batch). */
  gradScale: number;
  loss: LossSpec;
  /** Augmentation: per sample, the (x, y) shift in pixels. */
  shifts?: Int8Array;
}

/** Per-copy scratch buffers, kept across steps. */
export interface ShardScratch {
  x?: Float32Array;
  labels?: Int32Array;
  dLogits?: Float32Array;
}

/**
 * Forward, loss and backward over one shard on one copy of the network: the copy's `grads` end up
 * holding the shard's share of the batch gradient and its `stats` what the shard saw. The same code
 * runs on the main thread and in worker threads.
 */
export function computeShard(net: Net, data: Dataset, job: ShardJob, scratch: ShardScratch): LossOutcome {
  const n = job.indices.length;
  const size = sampleSize(data);
  const classes = net.outputSize;
  if (!scratch.x || scratch.x.length < n * size) scratch.x = new Float32Array(n * size);
  if (!scratch.labels || scratch.labels.length < n) scratch.labels = new Int32Array(n);
  if (!scratch.dLogits || scratch.dLogits.length < n * classes) scratch.dLogits = new Float32Array(n * classes);
  net.zeroGrads();
  if (n === 0) return { lossSum: 0, correct: 0 };
  if (job.shifts) gatherShifted(data, job.indices, job.shifts, scratch.x, scratch.labels);
  else gatherBatch(data, job.indices, scratch.x, scratch.labels);
  const logits = net.forward(scratch.x, n, true);
  const outcome = computeLoss(job.loss, logits, scratch.labels, n, classes, scratch.dLogits, job.gradScale);
  net.backward(scratch.dLogits, n);
  return outcome;
}

/**
 * Runs the shards of one step and hands back, per shard in order, its outcome and the arrays its
 * gradients and statistics are in. Implementations: in this thread (below) or over worker threads
 * (node/worker-pool.ts); both give identical numbers.
 */
export interface ShardRunner {
  run(jobs: readonly ShardJob[]): Promise<{ outcome: LossOutcome; grads: Float32Array; stats: Float32Array }[]>;
  dispose(): Promise<void>;
}
