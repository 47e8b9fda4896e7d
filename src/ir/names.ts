import type { Model } from './model.js';

/** Hands out names no value or node in the model has, so that rewrites never collide. */
export class NameAllocator {
  private readonly taken = new Set<string>();

  static forModel(model: Model): NameAllocator {
    const names = new NameAllocator();
    const bodies = model.functions.flatMap((f) => [...f.body.allGraphs()]);
    for (const graph of [...model.allGraphs(), ...bodies]) {
      names.takeAll(graph.inputs.map((v) => v.name));
      names.takeAll(graph.initializers.keys());
      names.takeAll(graph.sparseInitializers.keys());
      for (const node of graph.nodes) {
        if (node.name) names.taken.add(node.name);
        for (const out of node.outputs) if (out) names.taken.add(out.name);
      }
    }
    return names;
  }

  takeAll(names: Iterable<string>): void {
    for (const n of names) this.taken.add(n);
  }

  fresh(base: string): string {
    const stem = base || 'v';
    let name = stem;
    for (let i = 1; this.taken.has(name); i++) name = `${stem}_${i}`;
    this.taken.add(name);
    return name;
  }
}
