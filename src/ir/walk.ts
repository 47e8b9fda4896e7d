import { AttrType } from './attribute.js';
import type { Model } from './model.js';
import type { Tensor } from './tensor/tensor.js';

export interface TensorSite {
  tensor: Tensor;
  /** Initializer name, or "node/attribute" for attribute tensors. */
  name: string;
  where: 'initializer' | 'attribute' | 'sparse';
}

/** Every constant tensor of the model: initializers and attribute tensors, in all graphs. */
export function* allTensors(model: Model): Generator<TensorSite> {
  for (const graph of model.allGraphs()) {
    for (const v of graph.initializers.values()) yield { tensor: v.initializer!, name: v.name, where: 'initializer' };
    for (const v of graph.sparseInitializers.values()) {
      yield { tensor: v.sparseInitializer!.values, name: v.name, where: 'sparse' };
      yield { tensor: v.sparseInitializer!.indices, name: v.name, where: 'sparse' };
    }
    for (const node of graph.nodes) {
      for (const a of node.attributes.values()) {
        const label = `${node.name || node.opType}/${a.name}`;
        if (a.type === AttrType.TENSOR) yield { tensor: a.value, name: label, where: 'attribute' };
        if (a.type === AttrType.TENSORS) for (const t of a.value) yield { tensor: t, name: label, where: 'attribute' };
      }
    }
  }
}

/** Relative locations of the external data files the model's tensors live in. */
export function externalLocations(model: Model): Set<string> {
  const out = new Set<string>();
  for (const { tensor } of allTensors(model)) {
    if (tensor.kind === 'external') out.add((tensor as import('./tensor/external.js').ExternalTensor).where.location);
  }
  return out;
}

/**
 * The names in `names` that are no node's name (unless `opTypesOnly`) and no op type in any graph
 * of the model: what `--exclude` and `--fp16-block` were given that can have no effect.
 */
export function namesNotInModel(model: Model, names: readonly string[], options: { opTypesOnly?: boolean } = {}): string[] {
  if (names.length === 0) return [];
  const known = new Set<string>();
  for (const graph of model.allGraphs()) {
    for (const node of graph.nodes) {
      known.add(node.opType);
      if (!options.opTypesOnly && node.name) known.add(node.name);
    }
  }
  return names.filter((n) => !known.has(n));
}

/** The op types in every graph of the model, sorted. */
export function opTypesOf(model: Model): string[] {
  const types = new Set<string>();
  for (const graph of model.allGraphs()) for (const node of graph.nodes) types.add(node.opType);
  return [...types].sort();
}
