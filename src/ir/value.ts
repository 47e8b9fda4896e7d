import type { Graph } from './graph.js';
import type { Node } from './node.js';
import type { Tensor } from './tensor/tensor.js';
import type { SparseTensor } from './tensor/sparse.js';
import type { ValueType } from './types.js';
import { AttrType } from './attribute.js';

/** A place where a value is read: input `index` of `node`. */
export interface Use {
  readonly node: Node;
  readonly index: number;
}

/**
 * A named value of the graph (SSA: one producer). Def-use links live here, so that rewrites never
 * scan the graph: `producer()` and `uses()` are kept up to date by Node's input setters.
 */
export class Value {
  type: ValueType | undefined;
  docString = '';
  metadataProps: [string, string][] = [];
  /** The payload when this value is an initializer of its graph. */
  initializer: Tensor | undefined;
  /** The payload when this value is a sparse initializer of its graph. */
  sparseInitializer: SparseTensor | undefined;
  /** The graph that defines this value (as input, initializer or node output). */
  graph: Graph | undefined;

  /** @internal maintained by Node */
  _producer: Node | undefined;
  /** @internal maintained by Node */
  _producerIndex = -1;
  /** @internal maintained by Node */
  readonly _uses: Use[] = [];

  constructor(
    public name: string,
    type?: ValueType,
  ) {
    this.type = type;
  }

  producer(): Node | undefined {
    return this._producer;
  }

  /** Which output of its producer this value is. */
  producerIndex(): number {
    return this._producerIndex;
  }

  uses(): readonly Use[] {
    return this._uses;
  }

  /** Distinct nodes that read this value, in the order their uses were made. */
  consumers(): Node[] {
    return [...new Set(this._uses.map((u) => u.node))];
  }

  isGraphInput(): boolean {
    return this.graph?.inputs.includes(this) ?? false;
  }

  isGraphOutput(): boolean {
    return this.graph?.outputs.includes(this) ?? false;
  }

  isInitializer(): boolean {
    return this.initializer !== undefined;
  }

  /**
   * The constant tensor behind this value: its initializer, or the `value` of the Constant node
   * that produces it (PaddleOCR keeps every weight that way). An initializer that is also a graph
   * input can be overridden by the caller, so it is not constant.
   */
  constTensor(): Tensor | undefined {
    if (this.initializer) return this.isGraphInput() ? undefined : this.initializer;
    const producer = this._producer;
    if (producer && producer.opType === 'Constant' && producer.domain === '') {
      const attr = producer.attributes.get('value');
      if (attr?.type === AttrType.TENSOR) return attr.value;
    }
    return undefined;
  }

  /** Point every reader of this value at `other` instead; graph outputs too unless told not to. */
  replaceAllUsesWith(other: Value, options: { graphOutputs?: boolean } = {}): void {
    for (const use of [...this._uses]) use.node.replaceInput(use.index, other);
    if (options.graphOutputs ?? true) {
      const graph = this.graph;
      if (graph) graph.outputs = graph.outputs.map((v) => (v === this ? other : v));
    }
  }

  toString(): string {
    return `%${this.name}`;
  }
}
