// How fast lowbit's TypeScript trainer trains the seed LeNet on MNIST (images per second, 1 and 2
// threads), and beside it what onnxruntime-node does with the same LeNet exported to ONNX: inference
// only (forward pass, batch of 32 and of 100), a reference of what this machine can do. Training
// costs about 3 forward passes (forward + two backward products), so a trainer within a few times of
// onnxruntime's inference is doing well.
//   node bench/train-throughput.mjs [steps] [runs]
import { availableParallelism } from 'node:os';
import { encodeModel } from '../dist/index.js';
import { train } from '../dist/train/trainer.js';
import { Net } from '../dist/train/net.js';
import { lenetSpec } from '../dist/train/spec.js';
import { exportOnnx } from '../dist/train/export.js';
import { FP32_RECIPE } from '../dist/train/recipe.js';
import { gatherBatch, splitIndices } from '../dist/train/data.js';
import { findMnist, loadMnist } from '../dist/train/node/mnist.js';
import { WorkerShardRunner } from '../dist/train/node/worker-pool.js';
import { SHARDS } from '../dist/train/node/demo-stages.js';
import { machine, median, table } from './lib.mjs';
import { session, tensor, timeInterleaved } from './ort.mjs';

const steps = Number(process.argv[2] ?? 250);
const runs = Number(process.argv[3] ?? 3);
const mnist = findMnist();
if (!mnist) {
  console.error('skip: MNIST is absent (.corpus/data/mnist); run `npm run corpus`');
  process.exit(0);
}
const data = loadMnist(mnist);
const { train: trainIndices } = splitIndices(data.count, { seed: 1, testFraction: 0.2 });
const batch = FP32_RECIPE.batchSize;
const indices = trainIndices.subarray(0, steps * batch); // one epoch of `steps` steps

/** Images per second of one epoch over `indices` on `threads` threads (fresh network each time). */
async function trainingRate(threads) {
  const net = new Net(lenetSpec()).init(1);
  const runner = threads > 1 ? new WorkerShardRunner(net, data, { threads, shards: SHARDS }) : undefined;
  try {
    const r = await train(net, data, indices, { epochs: 1, batchSize: batch, optimizer: FP32_RECIPE.optimizer, schedule: 'constant', shift: FP32_RECIPE.shift, seed: 1, shards: SHARDS, ...(runner ? { runner } : {}) });
    return r.imagesPerSecond;
  } finally {
    await runner?.dispose();
  }
}

const threadCounts = [...new Set([1, Math.min(2, availableParallelism())])];
const rates = Object.fromEntries(threadCounts.map((t) => [t, []]));
await trainingRate(1); // warm-up (JIT)
for (let r = 0; r < runs; r++) for (const t of threadCounts) rates[t].push(await trainingRate(t));

// The same LeNet in onnxruntime-node: inference images per second.
const bytes = encodeModel(exportOnnx(new Net(lenetSpec()).init(1)));
const inference = [];
for (const size of [1, batch, 100]) {
  const pixels = new Float32Array(size * 28 * 28);
  gatherBatch(data, trainIndices.subarray(0, size), pixels, new Int32Array(size));
  const feeds = { image: tensor('float32', [size, 1, 28, 28], pixels) };
  for (const t of threadCounts) {
    const [timing] = await timeInterleaved([await session(bytes, t)], feeds, { warmup: 5, runs: 200 });
    inference.push([`onnxruntime-node inference, batch ${size}`, t, Math.round((size * 1000) / timing.median)]);
  }
}

const rows = [
  ...threadCounts.map((t) => [`lowbit training (forward + backward + Adam), batch ${batch}`, t, Math.round(median(rates[t]))]),
  ...inference,
];
console.log(`Training throughput, seed LeNet on MNIST (${steps} steps of ${batch} digits, median of ${runs}) — ${machine()}\n`);
console.log(`command: node bench/train-throughput.mjs ${steps} ${runs}\n`);
console.log(table(['what', 'threads', 'images / s'], rows.map(([w, t, r]) => [w, String(t), String(r)])));
