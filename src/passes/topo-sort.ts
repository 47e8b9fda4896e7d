import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { GraphCheckError } from '../errors.js';
import type { Pass } from './pass.js';

/**
 * Put nodes in topological order, keeping the file's order wherever it is already valid. Real
 * models break the rule (ISNet from imgly lists Casts after their readers; onnxruntime sorts on
 * load), and every rewrite that walks nodes in order relies on it.
 */
export const topoSortPass: Pass = {
  name: 'topo-sort',
  run(model: Model) {
    let modified = false;
    for (const graph of model.allGraphs()) modified = sortGraph(graph) || modified;
    return { model, modified };
  },
};

/** Sort one graph's node list (not its subgraphs); returns whether the order changed. */
export function sortGraph(graph: Graph): boolean {
  const nodes = graph.nodes.toArray();
  const index = new Map(nodes.map((n, i) => [n, i]));
  const waitingOn = new Map<Node, number>();
  const dependents = new Map<Node, Node[]>();
  for (const node of nodes) {
    const deps = new Set<Node>();
    for (const v of dependencyValues(node)) {
      const producer = v.producer();
      if (producer && producer !== node && index.has(producer)) deps.add(producer);
    }
    waitingOn.set(node, deps.size);
    for (const d of deps) {
      const list = dependents.get(d) ?? [];
      list.push(node);
      dependents.set(d, list);
    }
  }
  // Ready nodes leave in their original order (a binary heap on the original index).
  const heap = new MinHeap<Node>((a, b) => index.get(a)! - index.get(b)!);
  for (const node of nodes) if (waitingOn.get(node) === 0) heap.push(node);
  const order: Node[] = [];
  while (heap.size > 0) {
    const node = heap.pop()!;
    order.push(node);
    for (const next of dependents.get(node) ?? []) {
      const left = waitingOn.get(next)! - 1;
      waitingOn.set(next, left);
      if (left === 0) heap.push(next);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.filter((n) => !order.includes(n)).slice(0, 5);
    throw new GraphCheckError(`graph '${graph.name}' has a cycle through ${stuck.map((n) => n.describe()).join(', ')}`, [], { code: 'cycle' });
  }
  const changed = order.some((n, i) => n !== nodes[i]);
  if (changed) {
    for (const node of nodes) graph.nodes.remove(node);
    for (const node of order) graph.nodes.append(node);
  }
  return changed;
}

/** A node's inputs plus the outer values its subgraphs read (they must be computed first too). */
function* dependencyValues(node: Node) {
  for (const v of node.inputs) if (v) yield v;
  for (const sub of node.subgraphs()) {
    for (const inner of sub.allNodes()) for (const v of inner.inputs) if (v) yield v;
  }
}

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.less(a[i]!, a[parent]!) >= 0) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
