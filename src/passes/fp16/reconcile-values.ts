import { DataType } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { isTensorType } from '../../ir/types.js';
import { Value } from '../../ir/value.js';
import { float32Constant, type HalfConstants } from './half-constants.js';
import { castAfterDefinition, castNode, placeAfterDefinition } from './insert-cast.js';
import { float32Inputs, float32Outputs } from './op-policy.js';
import type { PrecisionPlan } from './precision-plan.js';
import { isFloat32, withElemType } from './values.js';

type FloatKind = DataType.FLOAT | DataType.FLOAT16;

export interface ReconcileContext {
  model: Model;
  plan: PrecisionPlan;
  opset: number;
  keepIoTypes: boolean;
  constants: HalfConstants;
}

/**
 * Give every float32 value of the model the element type its producer now makes, and every reader
 * the type it needs: a Cast is inserted once per value and direction, right after the value is
 * defined, and readers are pointed at it. The main graph's inputs and outputs keep their names;
 * subgraph boundaries (If branches, Loop and Scan bodies) stay float32, so control-flow nodes need
 * no change.
 */
export function reconcileValues(ctx: ReconcileContext): void {
  const values = new Set<Value>();
  for (const graph of ctx.model.allGraphs()) {
    for (const v of [...graph.inputs, ...graph.initializers.values(), ...graph.sparseInitializers.values()]) values.add(v);
    for (const node of graph.nodes) for (const out of node.outputs) if (out) values.add(out);
  }
  for (const v of values) {
    if (!isFloat32(v)) continue;
    const constant = float32Constant(v);
    if (constant) ctx.constants.convert(v, constant, v.uses().filter((u) => neededType(ctx, u.node, u.index) === DataType.FLOAT16));
    else if (!v.isInitializer() || v.isGraphInput()) reconcile(ctx, v);
  }
}

/** The float type reader `node` needs at input `index`. */
function neededType(ctx: ReconcileContext, node: Node, index: number): FloatKind {
  if (!ctx.plan.half.has(node)) return DataType.FLOAT;
  return float32Inputs(node, ctx.opset).includes(index) ? DataType.FLOAT : DataType.FLOAT16;
}

function isMainGraph(ctx: ReconcileContext, graph: Graph | undefined): boolean {
  return graph === ctx.model.graph;
}

/** The type the value's definition now gives it (sparse initializers stay float32). */
function producedType(ctx: ReconcileContext, v: Value): FloatKind {
  const producer = v.producer();
  if (!producer) return v.isGraphInput() && isMainGraph(ctx, v.graph) && !ctx.keepIoTypes ? DataType.FLOAT16 : DataType.FLOAT;
  const half = ctx.plan.half.has(producer) && !float32Outputs(producer).includes(v.producerIndex());
  return half ? DataType.FLOAT16 : DataType.FLOAT;
}

/** The type a graph output must have: fp16 only for the main graph without keepIoTypes. */
function outputType(ctx: ReconcileContext, v: Value): FloatKind | undefined {
  if (!v.isGraphOutput()) return undefined;
  return isMainGraph(ctx, v.graph) && !ctx.keepIoTypes ? DataType.FLOAT16 : DataType.FLOAT;
}

function reconcile(ctx: ReconcileContext, v: Value): void {
  const produced = producedType(ctx, v);
  const asOutput = outputType(ctx, v);
  const forms = new Map<FloatKind, Value>();
  if (asOutput !== undefined && asOutput !== produced) {
    // The graph output keeps its name (and Value) and is made by a Cast from a renamed original.
    const inner = renameDefinition(ctx, v, produced);
    v.type = withElemType(tensorTypeOf(v), asOutput);
    placeAfterDefinition(inner, castNode(ctx.model, inner, v, asOutput));
    forms.set(produced, inner).set(asOutput, v);
  } else {
    if (produced === DataType.FLOAT16) convertInPlace(ctx, v);
    forms.set(produced, v);
  }
  const natural = forms.get(produced)!;
  for (const use of [...v.uses()]) {
    const needed = neededType(ctx, use.node, use.index);
    let form = forms.get(needed);
    if (!form) {
      form = castAfterDefinition(ctx.model, natural, needed, needed === DataType.FLOAT16 ? 'fp16' : 'fp32');
      forms.set(needed, form);
    }
    if (form !== v) use.node.replaceInput(use.index, form);
  }
}

/** A value now defined as float16: its type, and the initializer behind an overridable input. */
function convertInPlace(ctx: ReconcileContext, v: Value): void {
  v.type = withElemType(tensorTypeOf(v), DataType.FLOAT16);
  if (v.initializer) v.initializer = ctx.constants.toHalf(v.initializer, v.name);
}

/** Move `v`'s definition to a new value of type `dtype`, so that `v` itself can be made by a Cast. */
function renameDefinition(ctx: ReconcileContext, v: Value, dtype: FloatKind): Value {
  const producer = v.producer();
  if (!producer) throw new Error(`graph output '${v.name}' has no producer to rename`);
  const renamed = new Value(ctx.model.freshName(`${v.name}_${dtype === DataType.FLOAT16 ? 'fp16' : 'fp32'}`), withElemType(tensorTypeOf(v), dtype));
  producer.setOutput(v.producerIndex(), renamed);
  return renamed;
}

function tensorTypeOf(v: Value) {
  if (!isTensorType(v.type)) throw new Error(`value '${v.name}' is not a typed tensor`);
  return v.type;
}
