import type { Dataset } from './data.js';
import { Net } from './net.js';
import { computeShard, type ShardJob, type ShardRunner, type ShardScratch } from './shard.js';

/**
 * Shards computed one after another in this thread, each on its own copy of the network (shared
 * parameters and state, own gradients and statistics): the same numbers as worker threads give.
 */
export class LocalShardRunner implements ShardRunner {
  private readonly copies: { net: Net; scratch: ShardScratch }[] = [];

  constructor(
    private readonly net: Net,
    private readonly data: Dataset,
  ) {}

  copy(i: number): Net {
    while (this.copies.length <= i) this.copies.push({ net: new Net(this.net.spec, { params: this.net.params, state: this.net.state }), scratch: {} });
    return this.copies[i]!.net;
  }

  async run(jobs: readonly ShardJob[]) {
    return jobs.map((job, i) => {
      const net = this.copy(i);
      const outcome = computeShard(net, this.data, job, this.copies[i]!.scratch);
      return { outcome, grads: net.grads, stats: net.stats };
    });
  }

  async dispose(): Promise<void> {}
}
