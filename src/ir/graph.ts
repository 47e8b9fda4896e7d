import { LinkedList } from './linked-list.js';
import type { Node } from './node.js';
import type { Tensor } from './tensor/tensor.js';
import type { ValueType } from './types.js';
import { Value } from './value.js';

export interface QuantizationAnnotation {
  tensorName: string;
  params: [string, string][];
}

/**
 * A graph: inputs, initializers, nodes in order, outputs. A subgraph (If branch, Loop body) is a
 * Graph whose `owner` is the node holding it; its nodes may read values of enclosing graphs
 * directly, and those reads are ordinary uses of the outer Value.
 */
export class Graph {
  name: string;
  docString = '';
  metadataProps: [string, string][] = [];
  inputs: Value[] = [];
  outputs: Value[] = [];
  /** Initializers in file order, by name. */
  readonly initializers = new Map<string, Value>();
  readonly sparseInitializers = new Map<string, Value>();
  /** Values that had a value_info entry, in file order (written back as value_info). */
  valueInfos: Value[] = [];
  quantizationAnnotations: QuantizationAnnotation[] = [];
  readonly nodes = new LinkedList<Node>();
  /** The node whose attribute holds this graph; undefined for the main graph and function bodies. */
  owner: Node | undefined;

  constructor(name = '') {
    this.name = name;
  }

  /** The graph enclosing this one, for subgraphs. */
  parent(): Graph | undefined {
    return this.owner?.graph;
  }

  addInput(name: string, type?: ValueType): Value {
    const v = new Value(name, type);
    v.graph = this;
    this.inputs.push(v);
    return v;
  }

  addInitializer(name: string, tensor: Tensor): Value {
    if (this.initializers.has(name)) throw new Error(`initializer '${name}' already exists`);
    const v = new Value(name, { kind: 'tensor', elemType: tensor.dtype, shape: [...tensor.dims] });
    v.initializer = tensor;
    v.graph = this;
    this.initializers.set(name, v);
    return v;
  }

  /** Remove an initializer that nothing reads any more. */
  removeInitializer(value: Value): void {
    if (value.uses().length > 0) throw new Error(`initializer '${value.name}' is still used`);
    this.initializers.delete(value.name);
    value.initializer = undefined;
  }

  appendNode(node: Node): Node {
    this.adopt(node);
    this.nodes.append(node);
    return node;
  }

  insertBefore(anchor: Node, node: Node): Node {
    this.adopt(node);
    this.nodes.insertBefore(anchor, node);
    return node;
  }

  /** Put a node first: where nodes that read only initializers and inputs (DequantizeLinear of a weight) can go. */
  prependNode(node: Node): Node {
    const first = this.nodes.first();
    return first ? this.insertBefore(first, node) : this.appendNode(node);
  }

  insertAfter(anchor: Node, node: Node): Node {
    this.adopt(node);
    this.nodes.insertAfter(anchor, node);
    return node;
  }

  /**
   * Take a node out of the graph and drop its input links. Its outputs must be unused unless
   * `force` is given (then the readers are left dangling and the checker will say so).
   */
  removeNode(node: Node, options: { force?: boolean } = {}): void {
    if (!options.force) {
      for (const out of node.outputs) {
        if (out && (out.uses().length > 0 || out.isGraphOutput())) {
          throw new Error(`cannot remove ${node.describe()}: output '${out.name}' is still used`);
        }
      }
    }
    this.nodes.remove(node);
    node.clearInputs();
    node.graph = undefined;
  }

  /** Every node of this graph and of all graphs nested in it, outer first. */
  *allNodes(): Generator<Node> {
    for (const node of this.nodes) {
      yield node;
      for (const sub of node.subgraphs()) yield* sub.allNodes();
    }
  }

  /** This graph and every graph nested in it. */
  *allGraphs(): Generator<Graph> {
    yield this;
    for (const node of this.nodes) for (const sub of node.subgraphs()) yield* sub.allGraphs();
  }

  private adopt(node: Node): void {
    if (node.graph && node.graph !== this) throw new Error(`${node.describe()} belongs to another graph`);
    node.graph = this;
    for (const out of node.outputs) if (out) out.graph = this;
    for (const sub of node.subgraphs()) sub.owner = node;
  }
}

/**
 * Drop each of these values that is an initializer nothing reads any more: the float weight a fold
 * or a quantizer replaced. Left behind, it would be written out and count in the model's size.
 */
export function removeUnreadInitializers(values: Iterable<Value | null | undefined>): Value[] {
  const removed: Value[] = [];
  for (const v of values) {
    if (v?.initializer && v.uses().length === 0 && !v.isGraphOutput() && !v.isGraphInput() && v.graph?.initializers.get(v.name) === v) {
      v.graph.removeInitializer(v);
      removed.push(v);
    }
  }
  return removed;
}
