// A training worker thread: computes the shards of each step it is sent on its own copies of the
// network, whose parameters and state are the main thread's (shared memory); gradients and stats
// go to shared arrays the main thread reads when the reply arrives.
import { parentPort, workerData } from 'node:worker_threads';
import { Net } from '../net.js';
import { computeShard, type ShardScratch } from '../shard.js';
import type { Dataset } from '../data.js';
import type { WorkerInit, WorkerReply, WorkerStep } from './worker-protocol.js';

const init = workerData as WorkerInit;
const data: Dataset = { images: init.images, labels: init.labels, count: init.labels.length, shape: init.shape, classes: init.classes };
const copies = new Map<number, { net: Net; scratch: ShardScratch }>(
  init.shards.map((s) => [s.index, { net: new Net(init.spec, { params: init.params, state: init.state, grads: s.grads, stats: s.stats }), scratch: {} }]),
);

parentPort!.on('message', (step: WorkerStep) => {
  let reply: WorkerReply;
  try {
    const outcomes = step.jobs.map((job) => {
      const copy = copies.get(job.shard);
      if (!copy) throw new Error(`shard ${job.shard} is not this worker's`);
      return { shard: job.shard, outcome: computeShard(copy.net, data, job, copy.scratch) };
    });
    reply = { ok: true, outcomes };
  } catch (error) {
    reply = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  parentPort!.postMessage(reply);
});
