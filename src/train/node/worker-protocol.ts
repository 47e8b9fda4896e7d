import type { LossOutcome } from '../loss.js';
import type { ShardJob } from '../shard.js';
import type { ModelSpec } from '../spec.js';

/** First message to a training worker: the network and the data, all in shared memory. */
export interface WorkerInit {
  spec: ModelSpec;
  params: Float32Array;
  state: Float32Array;
  images: Float32Array;
  labels: Uint8Array;
  shape: number[];
  classes: number;
  /** The shards this worker computes, each with the shared arrays its gradients and stats go to. */
  shards: { index: number; grads: Float32Array; stats: Float32Array }[];
}

export interface WorkerStep {
  jobs: (ShardJob & { shard: number })[];
}

export type WorkerReply = { ok: true; outcomes: { shard: number; outcome: LossOutcome }[] } | { ok: false; error: string };
