import { DataType } from '../../ir/dtype.js';
import { isTensorType, type Dim, type ValueType } from '../../ir/types.js';
import { cannotInfer, type InferContext, type TypeRule } from './context.js';
import { tensorOf } from './common.js';
import { normalizeAxis, unifyShapes } from './dims.js';

// If, Loop and Scan: their subgraphs are typed in place (so passes can work inside them), and
// the node's outputs get what the subgraphs produce.

/** What two producers of one value agree on: the element type, and the dims both give. */
export function unifyTypes(a: ValueType | undefined, b: ValueType | undefined): ValueType | undefined {
  if (!a || !b) {
    // One side unknown: both sides must have the same element type, so that much is known.
    const known = a ?? b;
    return isTensorType(known) ? tensorOf(known.elemType, undefined) : undefined;
  }
  if (isTensorType(a) && isTensorType(b)) {
    if (a.elemType !== b.elemType) return undefined;
    return tensorOf(a.elemType, unifyShapes(a.shape, b.shape));
  }
  return a.kind === b.kind ? a : undefined;
}

/**
 * Both branches are typed; the outputs get what both agree on, or the taken branch's types when
 * the condition is known (exporters branch on shapes: silero-vad's `if x.shape[1] == 1`).
 */
const ifRule: TypeRule = (ctx) => {
  const thenTypes = ctx.inferSubgraph('then_branch', []);
  const elseTypes = ctx.inferSubgraph('else_branch', []);
  const cond = ctx.knownNumbers(0);
  if (cond?.length === 1) return cond[0] ? thenTypes : elseTypes;
  return ctx.node.outputs.map((_, i) => unifyTypes(thenTypes[i], elseTypes[i]));
};

/**
 * Types of loop-carried values as the body sees them: start from the initial values and, where an
 * iteration changes a dim, forget that dim; repeat until the body's outputs agree with its inputs.
 * Probing writes nothing, so the final pass types the body with shapes valid for every iteration.
 */
function loopInvariantTypes(
  ctx: InferContext,
  body: { before: ValueType[]; carried: (ValueType | undefined)[]; after: (ValueType | undefined)[]; firstOut: number },
): (ValueType | undefined)[] {
  const { before, after, firstOut } = body;
  let carried = body.carried;
  for (let round = 0; round < 4; round++) {
    const outputs = ctx.probeSubgraph('body', [...before, ...carried, ...after]);
    const next = carried.map((t, i) => unifyTypes(t, outputs[firstOut + i]) ?? t);
    if (next.every((t, i) => sameType(t, carried[i]))) return next;
    carried = next;
  }
  return carried.map((t) => (isTensorType(t) ? tensorOf(t.elemType, t.shape?.map(() => null)) : t));
}

function sameType(a: ValueType | undefined, b: ValueType | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const loop: TypeRule = (ctx) => {
  const carriedCount = ctx.inputCount - 2;
  const initial = Array.from({ length: carriedCount }, (_, i) => ctx.valueType(i + 2));
  const fixed = [tensorOf(DataType.INT64, []), tensorOf(DataType.BOOL, [])];
  const carried = loopInvariantTypes(ctx, { before: fixed, carried: initial, after: [], firstOut: 1 });
  const bodyOut = ctx.inferSubgraph('body', [...fixed, ...carried]);
  // Without a condition the loop runs exactly M times; otherwise it may stop early.
  const trips: Dim = !ctx.has(1) ? (ctx.knownNumbers(0)?.[0] ?? null) : null;
  return ctx.node.outputs.map((_, i) => {
    if (i < carriedCount) return unifyTypes(carried[i], bodyOut[i + 1]);
    const element = bodyOut[i + 1];
    if (!isTensorType(element)) return undefined;
    return tensorOf(element.elemType, element.shape ? [trips, ...element.shape] : undefined);
  });
};

const scan: TypeRule = (ctx) => {
  if (ctx.opset < 9) cannotInfer('Scan before opset 9 (with a batch axis) is not supported');
  const scanCount = ctx.int('num_scan_inputs') ?? cannotInfer('Scan has no num_scan_inputs');
  const stateCount = ctx.inputCount - scanCount;
  const inputAxes = ctx.ints('scan_input_axes') ?? new Array<number>(scanCount).fill(0);
  let length: Dim = null;
  const slices = Array.from({ length: scanCount }, (_, k): ValueType | undefined => {
    const t = ctx.tensor(stateCount + k);
    if (!t) return undefined;
    if (!t.shape) return tensorOf(t.elemType, undefined);
    const axis = normalizeAxis(inputAxes[k]!, t.shape.length);
    if (k === 0) length = t.shape[axis]!;
    return tensorOf(t.elemType, t.shape.filter((_, d) => d !== axis));
  });
  const initial = Array.from({ length: stateCount }, (_, i) => ctx.valueType(i));
  const states = loopInvariantTypes(ctx, { before: [], carried: initial, after: slices, firstOut: 0 });
  const bodyOut = ctx.inferSubgraph('body', [...states, ...slices]);
  const outputAxes = ctx.ints('scan_output_axes');
  return ctx.node.outputs.map((_, i) => {
    if (i < stateCount) return unifyTypes(states[i], bodyOut[i]);
    const element = bodyOut[i];
    if (!isTensorType(element)) return undefined;
    if (!element.shape) return tensorOf(element.elemType, undefined);
    const shape = [...element.shape];
    shape.splice(normalizeAxis(outputAxes?.[i - stateCount] ?? 0, shape.length + 1), 0, length);
    return tensorOf(element.elemType, shape);
  });
};

export const controlFlowRules: Record<string, TypeRule> = { If: ifRule, Loop: loop, Scan: scan };
