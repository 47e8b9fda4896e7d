import type { Diagnostic } from '../../diagnostics.js';
import { isFloatType, type DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { isTensorType, type ValueType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { float32Constant } from './half-constants.js';
import { exceedsHalfRange } from './half-tensor.js';
import { CLAMP_TOLERANT, float32Inputs, float32Outputs, keepReasonFor, type KeepReason } from './op-policy.js';
import { onnxruntimeWorkaround } from './runtime-workarounds.js';
import { graphLabels, isFloat32, nodeLabel } from './values.js';

/**
 * Which nodes compute in float16. Decided for every node of every graph before anything changes,
 * so that the rewrite only has to reconcile each value with its readers.
 */
export interface PrecisionPlan {
  /** Nodes that compute in float16. */
  half: Set<Node>;
  /** Nodes with float32 operands that stay float32, each with its diagnostic. */
  kept: Map<Node, Diagnostic>;
}

/** Where a value's contents come from: constants only, tensor shapes (and constants), or data. */
type Origin = 'const' | 'shape' | 'data';

export function planPrecision(model: Model, block: ReadonlySet<string>): PrecisionPlan {
  const opset = model.opset('') ?? 1;
  const labels = graphLabels(model);
  const plan: PrecisionPlan = { half: new Set(), kept: new Map() };
  const keep = (node: Node, why: KeepReason) => {
    plan.half.delete(node);
    plan.kept.set(node, { ...why, severity: 'info', ...nodeLabel(node), graph: labels.get(node.graph!) ?? '' });
  };
  for (const node of model.graph.allNodes()) {
    // Control-flow nodes keep float32 at their boundary; their bodies are planned node by node.
    if (node.subgraphs().length > 0 || (node.opType === 'Constant' && node.domain === '')) continue;
    if (!touchesFloat32(node, opset)) continue;
    const why = keepReasonFor(node, opset, block) ?? nonTensorReason(node) ?? onnxruntimeWorkaround(node);
    if (why) keep(node, why);
    else plan.half.add(node);
  }
  keepWhereClampingWouldMislead(plan, opset, keep);
  keepShapeArithmetic(model, plan, opset, keep);
  return plan;
}

/** Nodes reading a constant beyond float16's range, unless clamping it is harmless (CLAMP_TOLERANT). */
function keepWhereClampingWouldMislead(plan: PrecisionPlan, opset: number, keep: (node: Node, why: KeepReason) => void): void {
  const outOfRange = new Map<Value, boolean>();
  for (const node of [...plan.half]) {
    if (CLAMP_TOLERANT.has(node.opType)) continue;
    const pinned = float32Inputs(node, opset);
    const culprit = node.inputs.find((v, i) => {
      if (!v || pinned.includes(i)) return false;
      const tensor = float32Constant(v);
      if (!tensor) return false;
      if (!outOfRange.has(v)) outOfRange.set(v, exceedsHalfRange(tensor));
      return outOfRange.get(v)!;
    });
    if (culprit) keep(node, { code: 'fp16-out-of-range', reason: `constant '${culprit.name}' holds values beyond float16's ±65504; clamping them would change what ${node.opType} computes` });
  }
}

/**
 * Whether the node computes on float32 data. Inputs that are float32 in every precision (Resize's
 * scales and roi) do not count: a Resize of float16 data is already converted.
 */
function touchesFloat32(node: Node, opset: number): boolean {
  const pinnedInputs = new Set(float32Inputs(node, opset).map((i) => node.inputs[i]).filter((v) => v));
  const pinnedOutputs = new Set(float32Outputs(node).map((i) => node.outputs[i]).filter((v) => v));
  return [...node.inputs, ...node.outputs].some((v) => v && !pinnedInputs.has(v) && !pinnedOutputs.has(v) && (isFloat32(v) || holdsFloat32(v.type)));
}

/** Sequences, optionals and maps of float32 tensors: the pass converts tensors only. */
function holdsFloat32(type: ValueType | undefined): boolean {
  if (!type) return false;
  if (type.kind === 'sequence' || type.kind === 'optional') return holdsFloat32(type.elem);
  if (type.kind === 'map') return holdsFloat32(type.value);
  return false;
}

function nonTensorReason(node: Node): KeepReason | undefined {
  const nonTensor = [...node.inputs, ...node.outputs].find((v) => v && holdsFloat32(v.type));
  if (!nonTensor) return undefined;
  return { code: 'fp16-non-tensor', reason: `'${nonTensor.name}' is a sequence, optional or map of float32; only tensors are converted` };
}

/**
 * Float arithmetic on tensor shapes (Shape → Cast → Mul → Floor → Cast to int64, or Resize scales
 * computed from sizes) stays float32: it costs nothing, and float16 holds integers exactly only
 * up to 2048, so sizes computed in it could come out wrong. Found by walking back from the places
 * where such a float must be exact: Casts to non-float types, inputs that must stay float32, and
 * nodes already kept in float32.
 */
function keepShapeArithmetic(model: Model, plan: PrecisionPlan, opset: number, keep: (node: Node, why: KeepReason) => void): void {
  const origins = valueOrigins(model);
  const isShapeFloat = (v: Value | null | undefined): v is Value => !!v && isFloat32(v) && origins.get(v) === 'shape';
  const pending: Value[] = [];
  const why: KeepReason = { code: 'fp16-shape-arithmetic', reason: 'computes on tensor shapes; kept float32 so that sizes stay exact' };
  for (const node of model.graph.allNodes()) {
    if (isCastToNonFloat(node) && isShapeFloat(node.input(0))) keep(node, why);
    if (plan.kept.has(node)) pending.push(...node.inputs.filter(isShapeFloat));
    else if (plan.half.has(node)) for (const i of float32Inputs(node, opset)) if (isShapeFloat(node.input(i))) pending.push(node.input(i)!);
  }
  while (pending.length > 0) {
    const producer = pending.pop()!.producer();
    if (!producer || !plan.half.has(producer)) continue;
    keep(producer, why);
    pending.push(...producer.inputs.filter(isShapeFloat));
  }
}

function isCastToNonFloat(node: Node): boolean {
  if (node.opType !== 'Cast' || node.domain !== '') return false;
  const to = node.attrInt('to');
  return to !== undefined && !isFloatType(to as DataType);
}

/** Origin of every node output, in one forward walk (nodes are in topological order). */
function valueOrigins(model: Model): Map<Value, Origin> {
  const origins = new Map<Value, Origin>();
  const originOf = (v: Value): Origin => {
    if (v.constTensor()) return 'const';
    return origins.get(v) ?? 'data';
  };
  for (const node of model.graph.allNodes()) {
    let origin: Origin;
    if (node.domain === '' && (node.opType === 'Shape' || node.opType === 'Size')) origin = 'shape';
    else if (node.subgraphs().length > 0 || node.domain !== '' || node.opType.startsWith('Random') || node.inputs.length === 0) origin = node.opType === 'Constant' ? 'const' : 'data';
    else {
      const inputs = node.inputs.filter((v): v is Value => v !== null).map(originOf);
      origin = inputs.includes('data') ? 'data' : inputs.includes('shape') ? 'shape' : 'const';
    }
    for (const out of node.outputs) if (out && isTensorType(out.type)) origins.set(out, origin);
  }
  return origins;
}
