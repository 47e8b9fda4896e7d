import { attr, type AttributeValue } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { Node } from '../../ir/node.js';
import { float32Tensor } from '../../ir/tensor/values.js';
import { isTensorType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import type { Feeds, HostTensor, Runner } from '../../runner/runner.js';
import { decodeModel } from '../../serde/decode.js';
import { encodeModel } from '../../serde/encode.js';
import { inferTypes } from '../infer-types/infer-types.js';
import { sortGraph } from '../topo-sort.js';
import { removeUnneededNodes } from './prune.js';

/** The first float16 value that overflows, and the node that makes it. */
export interface Float16Overflow {
  node: string;
  opType: string;
  /** The output holding the non-finite values. */
  output: string;
  infinities: number;
  nans: number;
}

/** Makes a runtime session for model bytes (e.g. createNodeRunner with optimizations off). */
export type RunnerFactory = (model: Uint8Array) => Promise<Runner>;

/**
 * Ops whose output is finite whenever their inputs are: an overflow always shows first at a node
 * before them, so their outputs need no probe (ISNet's ReLU/MaxPool/Concat blocks).
 */
const FINITE_PRESERVING = new Set([
  'Relu', 'MaxPool', 'Concat', 'Reshape', 'Transpose', 'Slice', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'Gather',
  'GatherElements', 'Expand', 'Tile', 'Split', 'DepthToSpace', 'SpaceToDepth', 'Dropout', 'Max', 'Min', 'Clip', 'Abs',
  'Neg', 'Where', 'Sigmoid', 'Tanh', 'ReduceMax', 'ReduceMin', 'Shape', 'Size',
]);

/** float16's largest finite value rounds to infinity from here on. */
const HALF_OVERFLOW = 65520;

/**
 * Run a float16 model and return the first node, in topological order of the main graph, whose
 * float16 output holds an infinity or a NaN; undefined when none does.
 *
 * onnxruntime's CPU build computes float16 graphs in float32 between the Casts it inserts, so an
 * overflow does not show in the final outputs; each intermediate value has to be looked at. One
 * run of a probe copy of the model does it cheaply: every float16 value that can become
 * non-finite gets Cast → Abs → ReduceMax (≥ 65520 means it overflows in float16) and
 * Mul(·, 0) → ReduceSum (NaN when it holds a NaN or an infinity) as extra scalar outputs. The
 * first value flagged is then fetched alone, from a copy cut down to what it needs, to count its
 * infinities and NaNs. Values inside subgraphs are seen through the control-flow node's outputs.
 */
export async function findFloat16Overflow(model: Uint8Array | Model, feeds: Feeds, createRunner: RunnerFactory): Promise<Float16Overflow | undefined> {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  const probe = typedCopy(bytes, feeds);
  const candidates = probeHalfValues(probe);
  if (candidates.length === 0) return undefined;
  const stats = await runModel(encodeModel(probe), feeds, candidates.flatMap((c) => [c.maxName, c.nanName]), createRunner);
  for (const candidate of candidates) {
    const max = scalar(stats[candidate.maxName]);
    const nanProbe = scalar(stats[candidate.nanName]);
    if (!(max >= HALF_OVERFLOW || Number.isNaN(max) || Number.isNaN(nanProbe))) continue;
    const value = (await fetchValues(bytes, feeds, [candidate.name], createRunner))[candidate.name];
    const found = countNonFinite(value);
    if (found.infinities + found.nans > 0) return { node: candidate.node, opType: candidate.opType, output: candidate.name, ...found };
  }
  return undefined;
}

interface Candidate {
  name: string;
  node: string;
  opType: string;
  /** Names of the probe outputs: max |value| and sum(value · 0). */
  maxName: string;
  nanName: string;
}

/** A fresh copy of the model, sorted, with the feeds' shapes on its inputs and types inferred. */
function typedCopy(bytes: Uint8Array, feeds: Feeds): Model {
  const model = decodeModel(bytes);
  sortGraph(model.graph);
  for (const input of model.graph.inputs) {
    const feed = feeds[input.name];
    if (feed && isTensorType(input.type)) input.type = { ...input.type, shape: [...feed.dims] };
  }
  inferTypes(model, { refresh: true });
  return model;
}

/**
 * Add the probe outputs for every float16 output of a main-graph node that can create a
 * non-finite value, and make them the graph's only outputs. Returns the probed values in order.
 */
function probeHalfValues(model: Model): Candidate[] {
  const graph = model.graph;
  const zero = graph.addInitializer(model.freshName('overflow_probe_zero'), float32Tensor([], [0]));
  const found: Candidate[] = [];
  const probes: Node[] = [];
  for (const node of graph.nodes) {
    if (node.domain === '' && FINITE_PRESERVING.has(node.opType)) continue;
    for (const out of node.outputs) {
      if (!out || !isTensorType(out.type) || out.type.elemType !== DataType.FLOAT16) continue;
      const add = (opType: string, inputs: Value[], attributes: Record<string, AttributeValue> = {}) => {
        const n = new Node({ opType, name: model.freshName(`${out.name}_probe_${opType}`), inputs, outputs: [model.freshName(`${out.name}_probe_${opType}_out`)], attributes });
        probes.push(n);
        return n.output();
      };
      const asFloat = add('Cast', [out], { to: attr.int(DataType.FLOAT) });
      const max = add('ReduceMax', [add('Abs', [asFloat])], { keepdims: attr.int(0) });
      const nan = add('ReduceSum', [add('Mul', [asFloat, zero])], { keepdims: attr.int(0) });
      found.push({ name: out.name, ...describe(node), maxName: max.name, nanName: nan.name });
    }
  }
  for (const n of probes) graph.appendNode(n);
  graph.outputs = found.flatMap((c) => [c.maxName, c.nanName]).map((name) => probes.find((n) => n.output().name === name)!.output());
  for (const v of graph.outputs) v.type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [] };
  return found;
}

function describe(node: Node): { node: string; opType: string } {
  return { node: node.name || node.outputs[0]?.name || '', opType: node.opType };
}

async function runModel(bytes: Uint8Array, feeds: Feeds, names: string[], createRunner: RunnerFactory): Promise<Record<string, HostTensor>> {
  const runner = await createRunner(bytes);
  try {
    return await runner.run(feeds, names);
  } finally {
    await runner.dispose();
  }
}

/** Run a copy of the model whose outputs are exactly `names`, pruned to what they need. */
async function fetchValues(bytes: Uint8Array, feeds: Feeds, names: string[], createRunner: RunnerFactory): Promise<Record<string, HostTensor>> {
  const model = typedCopy(bytes, feeds);
  const byName = new Map<string, Value>();
  for (const node of model.graph.nodes) for (const out of node.outputs) if (out) byName.set(out.name, out);
  model.graph.outputs = names.map((n) => byName.get(n)!);
  removeUnneededNodes(model.graph);
  return runModel(encodeModel(model), feeds, names, createRunner);
}

function scalar(t: HostTensor | undefined): number {
  return t && !Array.isArray(t.data) ? Number(t.data[0]) : NaN;
}

function countNonFinite(t: HostTensor | undefined): { infinities: number; nans: number } {
  let infinities = 0;
  let nans = 0;
  if (t && t.dtype === DataType.FLOAT16) {
    const bits = t.data as Uint16Array;
    for (let i = 0; i < bits.length; i++) {
      const h = bits[i]!;
      if ((h & 0x7c00) !== 0x7c00) continue;
      if (h & 0x3ff) nans++;
      else infinities++;
    }
  }
  return { infinities, nans };
}
