import { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { isTensorType, tensorType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import type { Feeds } from '../runner/runner.js';

// Which values per-layer comparison reads, and in what groups: the float model's node outputs that
// the quantized model computes under the same name, sized so that one run never returns too much.

const COMPARABLE = new Set([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE]);
/** Bytes per element of a returned value as it is read: float16 is widened to float32. */
const elementBytes = (v: Value) => (isTensorType(v.type) && v.type.elemType === DataType.DOUBLE ? 8 : 4);

export interface ValuePair {
  float: Value;
  quantized: Value;
  producer: Node;
  order: number;
  changed: boolean;
  bytes: number;
}

/** Sizes of symbolic input dims, read off the first sample, for estimating activation bytes. */
export function symbolSizes(model: Model, feeds: Feeds): Map<string, number> {
  const named = new Map<string, number>();
  for (const input of model.graph.inputs) {
    const fed = feeds[input.name];
    if (!fed || !isTensorType(input.type) || !input.type.shape) continue;
    input.type.shape.forEach((d, axis) => {
      if (typeof d === 'string' && fed.dims[axis] !== undefined) named.set(d, fed.dims[axis]!);
    });
  }
  return named;
}

/** Elements of a value when every dim is known (a number, or a symbol the feeds fix), else undefined. */
function knownElements(value: Value, symbols: Map<string, number>): number | undefined {
  const type = value.type;
  if (!isTensorType(type) || !type.shape) return undefined;
  let n = 1;
  for (const d of type.shape) {
    const size = typeof d === 'number' ? d : typeof d === 'string' ? symbols.get(d) : undefined;
    if (size === undefined) return undefined;
    n *= size;
  }
  return n;
}

/** Node outputs of the float model that the quantized model also computes under the same name. */
export function pairValues(float: Model, quantized: Model, symbols: Map<string, number>): ValuePair[] {
  const computed = new Map<string, Value>();
  for (const node of quantized.graph.nodes) for (const out of node.outputs) if (out?.name) computed.set(out.name, out);
  const constant = constantValues(float);
  const largest = largestElements(float, symbols);
  // A value whose shape neither model knows is sized as the largest known value: never too small.
  const elements = (v: Value, twin: Value) => knownElements(v, symbols) ?? knownElements(twin, symbols) ?? largest;
  const pairs: ValuePair[] = [];
  let order = 0;
  for (const node of float.graph.nodes) {
    order++;
    for (const out of node.outputs) {
      const twin = out?.name ? computed.get(out.name) : undefined;
      if (!out || !twin || constant.has(out) || !comparable(out) || !comparable(twin)) continue;
      pairs.push({ float: out, quantized: twin, producer: node, order, changed: rewritten(node, twin.producer()!), bytes: elements(out, twin) * elementBytes(out) + elements(twin, out) * elementBytes(twin) });
    }
  }
  return pairs;
}

export function comparable(value: Value): boolean {
  return isTensorType(value.type) && COMPARABLE.has(value.type.elemType);
}

/** Values computed from constants alone (Constant nodes, Casts of fp16 weights): they carry no activation. */
function constantValues(model: Model): Set<Value> {
  const constant = new Set<Value>();
  const isConstant = (v: Value | null) => !v || v.isInitializer() || constant.has(v);
  for (const node of model.graph.nodes) {
    if (node.opType === 'Constant' || (node.inputs.length > 0 && node.inputs.every(isConstant))) {
      for (const out of node.outputs) if (out) constant.add(out);
    }
  }
  return constant;
}

/** Whether quantization rewrote the node that makes this value: another op, or other inputs. */
/**
 * Whether quantization rewrote the node: another op, other inputs, or (fp16) the same op and
 * inputs computing in another element type.
 */
function rewritten(floatNode: Node, quantizedNode: Node): boolean {
  if (floatNode.opType !== quantizedNode.opType || floatNode.domain !== quantizedNode.domain) return true;
  if (floatNode.inputs.length !== quantizedNode.inputs.length) return true;
  if (floatNode.inputs.some((v, i) => (v?.name ?? '') !== (quantizedNode.inputs[i]?.name ?? ''))) return true;
  const elem = (v: Value | null | undefined) => (isTensorType(v?.type) ? v.type.elemType : undefined);
  return floatNode.inputs.some((v, i) => {
    const [a, b] = [elem(v), elem(quantizedNode.inputs[i])];
    return a !== undefined && b !== undefined && a !== b;
  });
}

function largestElements(model: Model, symbols: Map<string, number>): number {
  let largest = 1;
  for (const node of model.graph.nodes) for (const out of node.outputs) if (out) largest = Math.max(largest, knownElements(out, symbols) ?? 1);
  return largest;
}

/**
 * Declare exposed values by element type only: onnxruntime infers shapes itself, and a shape our
 * inference got less precise than its own must not make a session refuse to load.
 */
export function hideShape(...values: Value[]): void {
  for (const v of values) if (!v.isGraphOutput() && isTensorType(v.type)) v.type = tensorType(v.type.elemType);
}

/** Consecutive runs of pairs (graph order) whose bytes stay under the budget; a pair larger than it goes alone. */
export function groupByBytes(pairs: ValuePair[], budget: number): ValuePair[][] {
  const groups: ValuePair[][] = [];
  let current: ValuePair[] = [];
  let bytes = 0;
  for (const pair of pairs) {
    if (current.length && bytes + pair.bytes > budget) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(pair);
    bytes += pair.bytes;
  }
  if (current.length) groups.push(current);
  return groups;
}
