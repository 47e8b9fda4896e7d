import { seededRandom } from '../util/random.js';
import { shuffleInPlace, type Dataset } from './data.js';
import { LocalShardRunner } from './local-runner.js';
import type { LossSpec } from './loss.js';
import type { Net } from './net.js';
import { createOptimizer, scheduledRate, type OptimizerSpec } from './optim.js';
import type { ShardJob, ShardRunner } from './shard.js';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  schedule?: 'constant' | 'cosine';
  /** Steps of linear learning-rate warm-up (default 0). */
  warmupSteps?: number;
  /** Seed of the order samples are visited in. */
  seed: number;
  loss?: LossSpec;
  /**
   * Each batch is cut into this many shards whose gradients are added in order (default 2). Fixed
   * apart from the thread count, so that 1 or 2 threads give bit-identical training.
   */
  shards?: number;
  /** Random translation of each training sample by up to this many pixels along x and y (default 0). */
  shift?: number;
  /** Who computes the shards (default: this thread). */
  runner?: ShardRunner;
  onEpoch?: (epoch: EpochSummary) => void;
  /** Called after every step (progress lines). */
  onStep?: (done: number, total: number) => void;
}

export interface EpochSummary {
  epoch: number;
  /** Mean loss over the epoch's samples, as the objective saw it (8-bit loss: L_q / Q). */
  loss: number;
  /** Training accuracy over the epoch, measured in the training passes themselves. */
  accuracy: number;
  seconds: number;
  imagesPerSecond: number;
  /** 8-bit loss only: share of samples whose loss saturated, share of gradient entries rounded to zero. */
  saturated?: number;
  vanished?: number;
}

export interface TrainResult {
  epochs: EpochSummary[];
  seconds: number;
  imagesPerSecond: number;
}

/**
 * Mini-batch training with data parallelism: each batch is cut into shards, each shard's gradient
 * computed on a copy of the network (in this thread or in workers), the gradients summed in shard
 * order, and one optimizer step taken. Statistics the forward passes report (batch-norm moments,
 * fake-quantization ranges) are merged the same way. Deterministic for a given seed.
 */
export async function train(net: Net, data: Dataset, indices: Int32Array, options: TrainOptions): Promise<TrainResult> {
  const runner = options.runner ?? new LocalShardRunner(net, data);
  const shards = options.shards ?? 2;
  const batch = options.batchSize;
  const loss: LossSpec = options.loss ?? { type: 'cross-entropy' };
  const optimizer = createOptimizer(options.optimizer, net.params.length);
  const rand = seededRandom(options.seed);
  const order = Int32Array.from(indices);
  const stepsPerEpoch = Math.ceil(order.length / batch);
  const totalSteps = stepsPerEpoch * options.epochs;
  const epochs: EpochSummary[] = [];
  const begin = performance.now();
  let step = 0;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const started = performance.now();
      shuffleInPlace(order, rand);
      let lossSum = 0;
      let correct = 0;
      let saturated = 0;
      let vanished = 0;
      for (let s = 0; s < stepsPerEpoch; s++, step++) {
        const batchIndices = order.subarray(s * batch, Math.min(order.length, (s + 1) * batch));
        const jobs = cutShards(batchIndices, shards, loss, options.shift ? randomShifts(batchIndices.length, options.shift, rand) : undefined);
        const results = await runner.run(jobs);
        // Σ over shards in shard order: the same sum whichever thread computed which shard.
        net.grads.set(results[0]!.grads);
        for (let r = 1; r < results.length; r++) {
          const g = results[r]!.grads;
          for (let i = 0; i < g.length; i++) net.grads[i] += g[i]!;
        }
        optimizer.step(net.params, net.grads, scheduledRate(options.optimizer.lr, step, totalSteps, options.schedule ?? 'cosine', options.warmupSteps ?? 0));
        net.mergeStats(results.map((r) => r.stats));
        for (const { outcome } of results) {
          lossSum += outcome.lossSum;
          correct += outcome.correct;
          saturated += outcome.saturated ?? 0;
          vanished += outcome.vanished ?? 0;
        }
        options.onStep?.(step + 1, totalSteps);
      }
      const seconds = (performance.now() - started) / 1000;
      const summary: EpochSummary = {
        epoch: epoch + 1,
        loss: lossSum / order.length,
        accuracy: correct / order.length,
        seconds,
        imagesPerSecond: order.length / seconds,
        ...(loss.type === 'quantized' ? { saturated: saturated / order.length, vanished: vanished / (order.length * net.outputSize) } : {}),
      };
      epochs.push(summary);
      options.onEpoch?.(summary);
    }
  } finally {
    if (!options.runner) await runner.dispose();
  }
  const seconds = (performance.now() - begin) / 1000;
  return { epochs, seconds, imagesPerSecond: (order.length * options.epochs) / seconds };
}

/** Contiguous shards whose sizes differ by at most one. */
export function cutShards(indices: Int32Array, shards: number, loss: LossSpec, shifts?: Int8Array): ShardJob[] {
  const gradScale = 1 / indices.length;
  const jobs: ShardJob[] = [];
  for (let s = 0; s < shards; s++) {
    const a = Math.floor((s * indices.length) / shards);
    const b = Math.floor(((s + 1) * indices.length) / shards);
    jobs.push({ indices: indices.subarray(a, b), gradScale, loss, ...(shifts ? { shifts: shifts.subarray(2 * a, 2 * b) } : {}) });
  }
  return jobs;
}

/** Integer shifts in [−max, max] along x and y for each of `count` samples, drawn on the main thread (deterministic). */
function randomShifts(count: number, max: number, rand: () => number): Int8Array {
  const shifts = new Int8Array(2 * count);
  for (let i = 0; i < shifts.length; i++) shifts[i] = Math.floor(rand() * (2 * max + 1)) - max;
  return shifts;
}
