import { DataType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/types.js';
import type { InferContext, TypeRule } from './context.js';
import { tensorOf, tryShape } from './common.js';
import { normalizeAxes, normalizeAxis } from './dims.js';

// Reductions. Their axes moved from an attribute to an input at opset 13 for ReduceSum and at
// opset 18 for the others; noop_with_empty_axes came with the input form.

const REDUCE_OPS = [
  'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2',
  'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare',
];

function axesFromInputSince(opType: string): number {
  return opType === 'ReduceSum' ? 13 : 18;
}

function reduceShape(ctx: InferContext): Dim[] | undefined {
  const input = ctx.shape(0);
  if (!input) return undefined;
  const keep = ctx.int('keepdims', 1) === 1;
  const inputForm = ctx.opset >= axesFromInputSince(ctx.node.opType);
  let axes: number[] | undefined;
  if (!inputForm) axes = ctx.ints('axes') ?? [];
  else if (!ctx.has(1)) axes = [];
  else axes = ctx.knownNumbers(1);
  if (!axes) {
    // Which axes is unknown: with keepdims the rank stays and 1s stay 1.
    if (keep) return input.map((d) => (d === 1 ? 1 : null));
    const count = ctx.shape(1)?.[0];
    return typeof count === 'number' ? new Array<Dim>(input.length - count).fill(null) : undefined;
  }
  if (axes.length === 0) {
    if (inputForm && ctx.int('noop_with_empty_axes', 0) === 1) return [...input];
    axes = input.map((_, i) => i);
  }
  const reduced = new Set(normalizeAxes(axes, input.length));
  return keep ? input.map((d, i) => (reduced.has(i) ? 1 : d)) : input.filter((_, i) => !reduced.has(i));
}

function argShape(ctx: InferContext): Dim[] | undefined {
  const input = ctx.shape(0);
  if (!input) return undefined;
  const axis = normalizeAxis(ctx.int('axis', 0), input.length);
  return ctx.int('keepdims', 1) === 1 ? input.map((d, i) => (i === axis ? 1 : d)) : input.filter((_, i) => i !== axis);
}

const reduce: TypeRule = (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => reduceShape(ctx)))];
const argReduce: TypeRule = (ctx) => [tensorOf(DataType.INT64, tryShape(() => argShape(ctx)))];

export const reduceRules: Record<string, TypeRule> = { ArgMax: argReduce, ArgMin: argReduce };
for (const op of REDUCE_OPS) reduceRules[op] = reduce;
