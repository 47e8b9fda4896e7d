import type { Graph } from '../../ir/graph.js';
import type { Node } from '../../ir/node.js';

/**
 * The graph's nodes with every producer before its readers, including values a node's subgraphs
 * read from this graph. ONNX requires files to be sorted already, but exporters and hand-edited
 * models are not always; ties keep file order so that results are deterministic. Nodes in a cycle
 * (invalid) come in file order.
 */
export function topologicalOrder(graph: Graph): Node[] {
  const nodes = [...graph.nodes];
  const state = new Map<Node, 'visiting' | 'done'>();
  const order: Node[] = [];
  for (const root of nodes) {
    if (state.has(root)) continue;
    // Iterative depth-first search: real graphs chain thousands of nodes, deeper than the JS stack.
    const stack: { node: Node; deps: Node[]; next: number }[] = [{ node: root, deps: dependencies(root, graph), next: 0 }];
    state.set(root, 'visiting');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.deps.length) {
        const dep = top.deps[top.next++]!;
        if (!state.has(dep)) {
          state.set(dep, 'visiting');
          stack.push({ node: dep, deps: dependencies(dep, graph), next: 0 });
        }
        continue;
      }
      state.set(top.node, 'done');
      order.push(top.node);
      stack.pop();
    }
  }
  return order;
}

/** Producers in `graph` of the values `node` reads, directly or from inside its subgraphs. */
function dependencies(node: Node, graph: Graph): Node[] {
  const deps: Node[] = [];
  const add = (producer: Node | undefined) => {
    if (producer && producer.graph === graph && producer !== node) deps.push(producer);
  };
  for (const v of node.inputs) add(v?.producer());
  for (const sub of node.subgraphs()) {
    for (const inner of sub.allNodes()) for (const v of inner.inputs) add(v?.producer());
    for (const v of sub.outputs) add(v.producer());
  }
  return deps;
}
