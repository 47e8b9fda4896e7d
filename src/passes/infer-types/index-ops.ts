import type { Dim } from '../../ir/types.js';
import { cannotInfer, type InferContext, type TypeRule } from './context.js';
import { allInputs, attempt, intsAttrOrInput, sameAs, sharedDtype, tensorOf, tryShape } from './common.js';
import { addDims, normalizeAxes, normalizeAxis } from './dims.js';
import { sliceRange } from './slice-math.js';

// Operators that select, join or pad along axes.

function gatherShape(ctx: InferContext): Dim[] | undefined {
  const data = ctx.shape(0);
  const indices = ctx.shape(1);
  if (!data || !indices) return undefined;
  const axis = normalizeAxis(ctx.int('axis', 0), data.length);
  return [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
}

function gatherNDShape(ctx: InferContext): Dim[] | undefined {
  const data = ctx.shape(0);
  const indices = ctx.shape(1);
  const last = indices?.[indices.length - 1];
  if (!data || !indices || typeof last !== 'number') return undefined;
  return [...indices.slice(0, -1), ...data.slice(ctx.int('batch_dims', 0) + last)];
}

function sliceShape(ctx: InferContext): Dim[] | undefined {
  const data = ctx.shape(0);
  if (!data) return undefined;
  const legacy = ctx.opset < 10;
  const starts = legacy ? ctx.ints('starts') : ctx.knownNumbers(1);
  const ends = legacy ? ctx.ints('ends') : ctx.knownNumbers(2);
  const axesGiven = legacy ? ctx.ints('axes') : ctx.has(3) ? ctx.knownNumbers(3) : undefined;
  const steps = legacy || !ctx.has(4) ? undefined : ctx.knownNumbers(4);
  if (!starts || !ends || (ctx.has(3) && !axesGiven) || (ctx.has(4) && !steps)) return unknownSliceShape(ctx, data, starts, axesGiven);
  const axes = normalizeAxes(axesGiven ?? starts.map((_, i) => i), data.length);
  const out = [...data];
  axes.forEach((axis, k) => {
    const dim = data[axis]!;
    const step = steps?.[k] ?? 1;
    if (typeof dim === 'number') out[axis] = sliceRange(dim, starts[k]!, ends[k]!, step).count;
    else {
      // A slice of a dim of unknown size is known only when it takes all of it.
      const whole = starts[k] === 0 && step === 1 && ends[k]! >= 2 ** 31 - 1;
      out[axis] = whole ? dim : null;
    }
  });
  return out;
}

/** Slice with parameters not known: the axes it cuts lose their size, the others keep theirs. */
function unknownSliceShape(ctx: InferContext, data: Dim[], starts: number[] | undefined, axes: number[] | undefined): Dim[] {
  let touched: Set<number> | undefined;
  if (axes) touched = new Set(normalizeAxes(axes, data.length));
  else if (!ctx.has(3)) {
    const count = starts?.length ?? ctx.shape(1)?.[0];
    if (typeof count === 'number') touched = new Set(Array.from({ length: count }, (_, i) => i));
  }
  return data.map((d, i) => (touched && !touched.has(i) ? d : null));
}

function concatShape(ctx: InferContext): Dim[] | undefined {
  const shapes = allInputs(ctx).map((i) => ctx.shape(i));
  if (shapes.some((s) => !s) || shapes.length === 0) return undefined;
  const first = shapes[0]!;
  if (shapes.some((s) => s!.length !== first.length)) cannotInfer('Concat inputs differ in rank');
  const axis = normalizeAxis(ctx.int('axis', 1), first.length);
  return first.map((_, d) => {
    const column = shapes.map((s) => s![d]!);
    if (d === axis) return column.reduce<Dim>((sum, x) => addDims(sum, x), 0);
    return column.find((x) => typeof x === 'number') ?? column.find((x) => typeof x === 'string') ?? null;
  });
}

/** Sizes of Split's pieces along the axis, each a dim; the number of outputs is the node's. */
function splitSizes(ctx: InferContext, dim: Dim, outputs: number): Dim[] {
  const given = intsAttrOrInput(ctx, 'split', 1, 13);
  if (given === 'unknown') return new Array<Dim>(outputs).fill(null);
  if (given) return given;
  if (typeof dim !== 'number') return new Array<Dim>(outputs).fill(null);
  // Opset 18's num_outputs allows an uneven split: every piece is ceil(dim / n) but the last.
  const piece = Math.ceil(dim / outputs);
  if (ctx.opset < 18 && dim % outputs !== 0) cannotInfer(`Split of ${dim} into ${outputs} equal parts`);
  return Array.from({ length: outputs }, (_, i) => Math.max(0, Math.min(piece, dim - i * piece)));
}

const split: TypeRule = (ctx) => {
  const dtype = ctx.dtype(0);
  const data = ctx.shape(0);
  const outputs = ctx.node.outputs.length;
  const cut = attempt(() => {
    if (!data) return undefined;
    const axis = normalizeAxis(ctx.int('axis', 0), data.length);
    return { axis, sizes: splitSizes(ctx, data[axis]!, outputs) };
  });
  return ctx.node.outputs.map((_, i) => {
    if (!data) return tensorOf(dtype, undefined);
    const out = [...data];
    if (cut) out[cut.axis] = cut.sizes[i] ?? null;
    else return tensorOf(dtype, data.map(() => null));
    return tensorOf(dtype, out);
  });
};

function padShape(ctx: InferContext): Dim[] | undefined {
  const data = ctx.shape(0);
  const pads = ctx.opset < 11 ? (ctx.ints('pads') ?? ctx.ints('paddings')) : ctx.knownNumbers(1);
  if (!data) return undefined;
  if (!pads) return data.map(() => null);
  const axes = ctx.opset >= 18 && ctx.has(3) ? ctx.knownNumbers(3) : data.map((_, i) => i);
  if (!axes) return data.map(() => null);
  const out = [...data];
  normalizeAxes(axes, data.length).forEach((axis, k) => {
    out[axis] = addDims(data[axis]!, pads[k]! + pads[k + axes.length]!);
  });
  return out;
}

export const indexRules: Record<string, TypeRule> = {
  Gather: (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => gatherShape(ctx)))],
  GatherElements: (ctx) => [tensorOf(ctx.dtype(0), ctx.shape(1))],
  GatherND: (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => gatherNDShape(ctx)))],
  Scatter: sameAs(0),
  ScatterElements: sameAs(0),
  ScatterND: sameAs(0),
  Slice: (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => sliceShape(ctx)))],
  Concat: (ctx) => [tensorOf(sharedDtype(ctx, allInputs(ctx)), tryShape(() => concatShape(ctx)))],
  Split: split,
  Pad: (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => padShape(ctx)))],
};
