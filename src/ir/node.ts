import { AttrType, Attribute, AttributeValue, attributeGraphs, decodeText } from './attribute.js';
import type { Graph } from './graph.js';
import type { Tensor } from './tensor/tensor.js';
import { Value } from './value.js';

export interface NodeInit {
  opType: string;
  domain?: string;
  name?: string;
  inputs?: (Value | null | undefined)[];
  /** Output values, or names for new ones, or how many unnamed ones to make. */
  outputs?: (Value | null)[] | string[] | number;
  attributes?: Record<string, AttributeValue | undefined>;
  docString?: string;
}

/**
 * One operator application. Inputs and outputs are Values (null for an omitted optional one);
 * every change to inputs goes through `replaceInput` so both ends of each def-use link agree.
 */
export class Node {
  opType: string;
  /** '' is the default ai.onnx domain. */
  domain: string;
  name: string;
  overload = '';
  docString: string;
  metadataProps: [string, string][] = [];
  /** NodeProto.device_configurations, kept as plain data for the round trip. */
  deviceConfigurations: unknown[] = [];
  readonly attributes = new Map<string, Attribute>();
  /** The graph whose node list holds this node. */
  graph: Graph | undefined;

  private readonly inputValues: (Value | null)[] = [];
  private readonly outputValues: (Value | null)[] = [];

  constructor(init: NodeInit) {
    this.opType = init.opType;
    this.domain = init.domain === 'ai.onnx' ? '' : (init.domain ?? '');
    this.name = init.name ?? '';
    this.docString = init.docString ?? '';
    for (const v of init.inputs ?? []) this.appendInput(v ?? null);
    const outs = init.outputs ?? 1;
    const outputs: (Value | null)[] =
      typeof outs === 'number'
        ? Array.from({ length: outs }, () => new Value(''))
        : outs.map((o) => (typeof o === 'string' ? new Value(o) : o));
    outputs.forEach((v, i) => this.setOutput(i, v));
    for (const [name, value] of Object.entries(init.attributes ?? {})) {
      if (value) this.attributes.set(name, { ...value, name });
    }
  }

  get inputs(): readonly (Value | null)[] {
    return this.inputValues;
  }

  get outputs(): readonly (Value | null)[] {
    return this.outputValues;
  }

  /** Input i, or undefined when it is omitted or past the end. */
  input(i: number): Value | undefined {
    return this.inputValues[i] ?? undefined;
  }

  /** Output i; throws when it is omitted, since callers rely on it. */
  output(i = 0): Value {
    const v = this.outputValues[i];
    if (!v) throw new Error(`${this.describe()} has no output ${i}`);
    return v;
  }

  replaceInput(index: number, value: Value | null): void {
    if (index < 0 || index > this.inputValues.length) throw new RangeError(`input index ${index} out of range`);
    const old = this.inputValues[index];
    if (old === value) return;
    if (old) removeUse(old, this, index);
    this.inputValues[index] = value;
    if (value) value._uses.push({ node: this, index });
  }

  appendInput(value: Value | null): void {
    this.replaceInput(this.inputValues.length, value);
  }

  /** Replace all inputs at once (trailing ones beyond the new list are dropped). */
  setInputs(values: (Value | null)[]): void {
    this.clearInputs();
    for (const v of values) this.appendInput(v);
  }

  /** Drop every input link: used when the node leaves the graph. */
  clearInputs(): void {
    this.inputValues.forEach((v, i) => v && removeUse(v, this, i));
    this.inputValues.length = 0;
  }

  /** Trim omitted optional inputs at the end, as ONNX writers do. */
  trimTrailingInputs(): void {
    while (this.inputValues.length > 0 && this.inputValues[this.inputValues.length - 1] === null) this.inputValues.pop();
  }

  setOutput(index: number, value: Value | null): void {
    const old = this.outputValues[index];
    if (old && old._producer === this) {
      old._producer = undefined;
      old._producerIndex = -1;
    }
    if (value) {
      if (value._producer && value._producer !== this) {
        throw new Error(`value '${value.name}' already has a producer (${value._producer.describe()})`);
      }
      value._producer = this;
      value._producerIndex = index;
      if (this.graph) value.graph = this.graph;
    }
    this.outputValues[index] = value;
  }

  // --- attributes -------------------------------------------------------------------------------

  getAttr(name: string): Attribute | undefined {
    return this.attributes.get(name);
  }

  setAttr(name: string, value: AttributeValue): void {
    this.attributes.set(name, { ...value, name });
  }

  removeAttr(name: string): void {
    this.attributes.delete(name);
  }

  attrInt(name: string): number | undefined;
  attrInt(name: string, fallback: number): number;
  attrInt(name: string, fallback?: number): number | undefined {
    const a = this.attributes.get(name);
    if (a?.type === AttrType.INT) return Number(a.value);
    return fallback;
  }

  attrFloat(name: string): number | undefined;
  attrFloat(name: string, fallback: number): number;
  attrFloat(name: string, fallback?: number): number | undefined {
    const a = this.attributes.get(name);
    if (a?.type === AttrType.FLOAT) return a.value;
    return fallback;
  }

  attrString(name: string): string | undefined;
  attrString(name: string, fallback: string): string;
  attrString(name: string, fallback?: string): string | undefined {
    const a = this.attributes.get(name);
    if (a?.type === AttrType.STRING) return decodeText(a.value);
    return fallback;
  }

  attrInts(name: string): number[] | undefined {
    const a = this.attributes.get(name);
    if (a?.type === AttrType.INTS) return a.value.map(Number);
    return undefined;
  }

  attrFloats(name: string): number[] | undefined {
    const a = this.attributes.get(name);
    if (a?.type === AttrType.FLOATS) return a.value;
    return undefined;
  }

  attrTensor(name: string): Tensor | undefined {
    const a = this.attributes.get(name);
    if (a?.type === AttrType.TENSOR) return a.value;
    return undefined;
  }

  /** Graphs held in this node's attributes (If branches, Loop and Scan bodies). */
  subgraphs(): Graph[] {
    const out: Graph[] = [];
    for (const a of this.attributes.values()) out.push(...attributeGraphs(a));
    return out;
  }

  /** "Conv 'conv1'" — for messages. */
  describe(): string {
    const op = this.domain ? `${this.domain}.${this.opType}` : this.opType;
    return this.name ? `${op} '${this.name}'` : `${op} (unnamed, output '${this.outputValues[0]?.name ?? ''}')`;
  }
}

function removeUse(value: Value, node: Node, index: number): void {
  const at = value._uses.findIndex((u) => u.node === node && u.index === index);
  if (at >= 0) value._uses.splice(at, 1);
}
