import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { corpusData, skipWithReason } from '../../test/helpers/corpus.js';
import { shuffleInPlace, splitIndices, type Dataset } from './data.js';
import { evaluateNet } from './evaluate.js';
import { Net } from './net.js';
import { loadMnist } from './node/mnist.js';
import { WorkerShardRunner } from './node/worker-pool.js';
import { FP32_RECIPE } from './recipe.js';
import { lenetSpec } from './spec.js';
import { train, type TrainOptions } from './trainer.js';
import { seededRandom } from '../util/random.js';

const ABSENT = 'MNIST is absent (.corpus/data/mnist); run `npm run corpus`';
/** The built worker script (`npm test` builds first); vitest runs sources, which a worker thread cannot load. */
const BUILT_WORKER = new URL('../../dist/train/node/train-worker.js', import.meta.url);

let mnist: Dataset | undefined;
function data(): Dataset | undefined {
  const dir = corpusData('mnist');
  if (!dir) return undefined;
  return (mnist ??= loadMnist(dir));
}

const digest = (net: Net) => createHash('sha256').update(new Uint8Array(net.params.buffer, net.params.byteOffset, net.params.byteLength)).digest('hex');

/** 1,200 digits to train on, 400 held out. */
function small(d: Dataset) {
  return splitIndices(d.count, { seed: 2, testFraction: 0.25, limit: 1600 });
}

const OPTIONS: TrainOptions = { epochs: 2, batchSize: FP32_RECIPE.batchSize, optimizer: FP32_RECIPE.optimizer, shift: 2, seed: 3 };

describe('training the seed LeNet', () => {
  it('learns from a small subset: the loss falls, held-out top-1 is far above chance', async (ctx) => {
    const d = data();
    if (!d) return skipWithReason(ctx, ABSENT);
    const { train: tr, test } = small(d);
    const net = new Net(lenetSpec()).init(4);
    const before = evaluateNet(net, d, test).top1;
    const result = await train(net, d, tr, { ...OPTIONS, epochs: 3 });
    const losses = result.epochs.map((e) => e.loss);
    expect(losses[2]!).toBeLessThan(losses[0]! * 0.6);
    expect(losses[0]!).toBeLessThan(2.3); // below chance (ln 10) already within the first epoch
    const after = evaluateNet(net, d, test).top1;
    expect(before).toBeLessThan(0.3);
    expect(after, 'top-1 on 400 held-out digits after 3 epochs on 1,200').toBeGreaterThan(0.8); // 84.25% with these seeds; chance is 10%
  });

  it('is deterministic: the same seed gives the same weights, bit for bit, a different seed other weights', async (ctx) => {
    const d = data();
    if (!d) return skipWithReason(ctx, ABSENT);
    const tr = small(d).train.subarray(0, 400);
    const run = async (seed: number) => {
      const net = new Net(lenetSpec()).init(4);
      await train(net, d, tr, { ...OPTIONS, seed });
      return digest(net);
    };
    const a = await run(3);
    expect(await run(3)).toBe(a);
    expect(await run(4)).not.toBe(a);
  });

  it('gives the same weights on two worker threads as on one thread', async (ctx) => {
    const d = data();
    if (!d) return skipWithReason(ctx, ABSENT);
    if (!existsSync(fileURLToPath(BUILT_WORKER))) return skipWithReason(ctx, 'dist/ is not built (npm run build): the worker thread runs the built code');
    const tr = small(d).train.subarray(0, 400);
    const local = new Net(lenetSpec()).init(4);
    await train(local, d, tr, OPTIONS);
    const threaded = new Net(lenetSpec()).init(4);
    const runner = new WorkerShardRunner(threaded, d, { threads: 2, shards: 2, workerUrl: BUILT_WORKER });
    try {
      await train(threaded, d, tr, { ...OPTIONS, runner });
    } finally {
      await runner.dispose();
    }
    expect(digest(threaded)).toBe(digest(local));
  });

  it('splits the digits the same way for the same seed, with no digit on both sides', () => {
    const a = splitIndices(10_000, { seed: 1, testFraction: 0.2 });
    const b = splitIndices(10_000, { seed: 1, testFraction: 0.2 });
    expect(a.train).toHaveLength(8000);
    expect(a.test).toHaveLength(2000);
    expect(Array.from(a.test)).toEqual(Array.from(b.test));
    const seen = new Set([...a.train, ...a.test]);
    expect(seen.size).toBe(10_000);
    const order = shuffleInPlace(Int32Array.from({ length: 10 }, (_, i) => i), seededRandom(1));
    expect([...order].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
