import type { AttributeValue } from './attribute.js';
import { DataType } from './dtype.js';
import { Graph } from './graph.js';
import { Model } from './model.js';
import { Node } from './node.js';
import type { Tensor } from './tensor/tensor.js';
import { tensorType, type Dim } from './types.js';
import type { Value } from './value.js';

export interface BuildNodeOptions {
  domain?: string;
  name?: string;
  attributes?: Record<string, AttributeValue | undefined>;
  /** Output names; by default derived from the node name or op type. */
  outputs?: string[];
  /** How many outputs when names are not given (default 1). */
  outputCount?: number;
}

/**
 * Builds graphs in code: tests make their fixtures with it and passes use `node()` to add the
 * operators they emit. Names are made unique across the model.
 */
export class GraphBuilder {
  readonly model: Model;
  readonly graph: Graph;

  constructor(opset = 17, extraOpsets: Record<string, number> = {}) {
    this.model = new Model(new Graph('main'));
    this.graph = this.model.graph;
    this.model.irVersion = opset >= 21 ? 10 : opset >= 19 ? 9 : 8;
    this.model.producerName = 'lowbit-builder';
    this.model.opsetImports.set('', opset);
    for (const [domain, version] of Object.entries(extraOpsets)) this.model.opsetImports.set(domain, version);
  }

  input(name: string, elemType: DataType, shape: Dim[]): Value {
    return this.graph.addInput(this.model.freshName(name), tensorType(elemType, shape));
  }

  initializer(name: string, tensor: Tensor): Value {
    return this.graph.addInitializer(this.model.freshName(name), tensor);
  }

  /** Append a node; returns its outputs. */
  node(opType: string, inputs: (Value | null | undefined)[], options: BuildNodeOptions = {}): Value[] {
    const name = this.model.freshName(options.name ?? opType);
    const outputNames = options.outputs ?? Array.from({ length: options.outputCount ?? 1 }, (_, i) => `${name}_out${i || ''}`);
    const node = new Node({
      opType,
      ...(options.domain !== undefined ? { domain: options.domain } : {}),
      name,
      inputs,
      outputs: outputNames.map((n) => this.model.freshName(n)),
      ...(options.attributes ? { attributes: options.attributes } : {}),
    });
    this.graph.appendNode(node);
    return node.outputs.map((o) => o!);
  }

  /** Append a node with one output and return that output. */
  op(opType: string, inputs: (Value | null | undefined)[], options: BuildNodeOptions = {}): Value {
    return this.node(opType, inputs, options)[0]!;
  }

  output(value: Value, elemType?: DataType, shape?: Dim[]): void {
    if (elemType !== undefined) value.type = tensorType(elemType, shape);
    this.graph.outputs.push(value);
  }
}
