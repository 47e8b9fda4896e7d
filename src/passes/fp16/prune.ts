import type { Graph } from '../../ir/graph.js';
import type { Node } from '../../ir/node.js';

/**
 * Remove the nodes of `graph` that none of its outputs depends on (directly or through values its
 * subgraphs read), so that a run computes only what it is asked for. Initializers and graph inputs
 * stay: the same feeds remain valid.
 */
export function removeUnneededNodes(graph: Graph): number {
  const needed = new Set<Node>();
  const pending = graph.outputs.map((v) => v.producer()).filter((n): n is Node => n?.graph === graph);
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (needed.has(node)) continue;
    needed.add(node);
    const reads = [...node.inputs];
    for (const sub of node.subgraphs()) for (const inner of sub.allNodes()) reads.push(...inner.inputs);
    for (const v of reads) {
      const producer = v?.producer();
      if (producer?.graph === graph && !needed.has(producer)) pending.push(producer);
    }
  }
  let removed = 0;
  for (const node of graph.nodes.toArray().reverse()) {
    if (needed.has(node)) continue;
    graph.removeNode(node, { force: true });
    removed++;
  }
  return removed;
}
