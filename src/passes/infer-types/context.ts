import { AttrType, decodeText, type Attribute } from '../../ir/attribute.js';
import { DataType, dtypeName } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { Node } from '../../ir/node.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import type { Dim, TensorTypeInfo, ValueType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { knownAsDims, knownNumbers, type Known } from './known.js';

/** Thrown by a rule that cannot type a node; the message becomes the `type-unknown` reason. */
export class CannotInfer extends Error {}

export function cannotInfer(reason: string): never {
  throw new CannotInfer(reason);
}

/** Types of a node's outputs, in order; undefined for an output the rule cannot type. */
export type OutputTypes = (ValueType | undefined)[];

export type TypeRule = (ctx: InferContext) => OutputTypes;

/** What a rule may ask of the inference engine. */
export interface InferHost {
  typeOf(value: Value): ValueType | undefined;
  knownOf(value: Value): Known | undefined;
  opsetOf(domain: string): number;
  /** In a function body, attributes may refer to the caller's; the host resolves them. */
  resolveAttribute(node: Node, name: string): Attribute | undefined;
  /** Type a subgraph of `node` given its input types; returns the types of its outputs. */
  inferSubgraph(node: Node, attrName: string, graph: Graph, inputTypes: (ValueType | undefined)[]): (ValueType | undefined)[];
  /** Like inferSubgraph, but nothing is written: for finding loop-invariant shapes first. */
  probeSubgraph(node: Node, attrName: string, graph: Graph, inputTypes: (ValueType | undefined)[]): (ValueType | undefined)[];
}

/** A rule's view of one node: its inputs' types and known contents, its attributes, its opset. */
export class InferContext {
  readonly opset: number;

  constructor(
    readonly node: Node,
    private readonly host: InferHost,
  ) {
    this.opset = host.opsetOf(node.domain);
  }

  /** The node's domain ('' for ai.onnx). */
  get domain(): string {
    return this.node.domain;
  }

  get inputCount(): number {
    return this.node.inputs.length;
  }

  /** Whether optional input i is given. */
  has(i: number): boolean {
    return this.node.input(i) !== undefined;
  }

  valueType(i: number): ValueType | undefined {
    const v = this.node.input(i);
    return v ? this.host.typeOf(v) : undefined;
  }

  /** Tensor type of input i when its element type is known. */
  tensor(i: number): TensorTypeInfo | undefined {
    const t = this.valueType(i);
    return t && (t.kind === 'tensor' || t.kind === 'sparse_tensor') && t.elemType !== DataType.UNDEFINED ? t : undefined;
  }

  /** Element type of input i; a rule that needs it cannot go on without it. */
  dtype(i: number): DataType {
    const t = this.tensor(i);
    if (!t) cannotInfer(this.has(i) ? `input ${i} ('${this.node.input(i)!.name}') has no known type` : `input ${i} is missing`);
    return t.elemType;
  }

  optionalDtype(i: number): DataType | undefined {
    return this.tensor(i)?.elemType;
  }

  /** Shape of input i, or undefined when its rank is unknown. */
  shape(i: number): Dim[] | undefined {
    return this.tensor(i)?.shape;
  }

  rank(i: number): number | undefined {
    return this.shape(i)?.length;
  }

  known(i: number): Known | undefined {
    const v = this.node.input(i);
    return v ? this.host.knownOf(v) : undefined;
  }

  /** Known elements of a scalar or 1-D input, read as dims (symbols allowed). */
  knownDims(i: number): Dim[] | undefined {
    return knownAsDims(this.known(i));
  }

  /** Known elements of input i when all are plain numbers. */
  knownNumbers(i: number): number[] | undefined {
    return knownNumbers(this.known(i));
  }

  /** What inference found for output i (known-value rules run after the type rule). */
  outputType(i: number): ValueType | undefined {
    const v = this.node.outputs[i];
    return v ? this.host.typeOf(v) : undefined;
  }

  // --- attributes, resolved through function-call references --------------------------------

  attr(name: string): Attribute | undefined {
    return this.host.resolveAttribute(this.node, name);
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const a = this.attr(name);
    return a?.type === AttrType.INT ? Number(a.value) : fallback;
  }

  ints(name: string): number[] | undefined {
    const a = this.attr(name);
    return a?.type === AttrType.INTS ? a.value.map(Number) : undefined;
  }

  float(name: string, fallback: number): number {
    const a = this.attr(name);
    return a?.type === AttrType.FLOAT ? a.value : fallback;
  }

  floats(name: string): number[] | undefined {
    const a = this.attr(name);
    return a?.type === AttrType.FLOATS ? a.value : undefined;
  }

  string(name: string, fallback: string): string {
    const a = this.attr(name);
    return a?.type === AttrType.STRING ? decodeText(a.value) : fallback;
  }

  tensorAttr(name: string): Tensor | undefined {
    const a = this.attr(name);
    return a?.type === AttrType.TENSOR ? a.value : undefined;
  }

  graph(name: string): Graph | undefined {
    const a = this.attr(name);
    return a?.type === AttrType.GRAPH ? a.value : undefined;
  }

  /** A data-type attribute (Cast 'to', EyeLike 'dtype'), checked to be a real type. */
  dtypeAttr(name: string): DataType | undefined {
    const t = this.int(name);
    if (t === undefined) return undefined;
    if (t <= 0 || dtypeName(t).startsWith('dtype(')) cannotInfer(`attribute '${name}' names no data type (${t})`);
    return t as DataType;
  }

  inferSubgraph(attrName: string, inputTypes: (ValueType | undefined)[]): (ValueType | undefined)[] {
    return this.host.inferSubgraph(this.node, attrName, this.subgraph(attrName), inputTypes);
  }

  probeSubgraph(attrName: string, inputTypes: (ValueType | undefined)[]): (ValueType | undefined)[] {
    return this.host.probeSubgraph(this.node, attrName, this.subgraph(attrName), inputTypes);
  }

  subgraph(attrName: string): Graph {
    return this.graph(attrName) ?? cannotInfer(`attribute '${attrName}' holds no graph`);
  }
}
