import { AttrType } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtype.js';
import { elementCount } from '../../ir/tensor/tensor.js';
import { staticShape, type Dim } from '../../ir/types.js';
import type { InferContext } from './context.js';
import { productOfDims } from './dims.js';
import { KNOWN_LIMIT, castKnown, knownFromTensor, knownNumbers, knownScalar, knownVector, type Known } from './known.js';
import { knownBinary, knownUnary, knownWhere } from './known-arith.js';
import { sliceRange } from './slice-math.js';

/** Computes the contents of a node's outputs from the known contents of its inputs. */
export type KnownRule = (ctx: InferContext) => (Known | undefined)[];

const one = (k: Known | undefined): (Known | undefined)[] => [k];

function constantValue(ctx: InferContext): Known | undefined {
  const tensor = ctx.tensorAttr('value');
  if (tensor) return knownFromTensor(tensor);
  const a = ctx.attr('value_int') ?? ctx.attr('value_ints') ?? ctx.attr('value_float') ?? ctx.attr('value_floats');
  if (a?.type === AttrType.INT) return knownScalar(DataType.INT64, Number(a.value));
  if (a?.type === AttrType.INTS && a.value.length <= KNOWN_LIMIT) return knownVector(DataType.INT64, a.value.map(Number));
  if (a?.type === AttrType.FLOAT) return knownScalar(DataType.FLOAT, a.value);
  if (a?.type === AttrType.FLOATS && a.value.length <= KNOWN_LIMIT) return knownVector(DataType.FLOAT, [...a.value]);
  return undefined;
}

function shapeValue(ctx: InferContext): Known | undefined {
  const shape = ctx.shape(0);
  if (!shape) return undefined;
  const [start, end] = shapeSliceBounds(ctx, shape.length);
  return knownVector(DataType.INT64, shape.slice(start, end));
}

/** Shape-15's start/end attributes, clamped as the spec says. */
export function shapeSliceBounds(ctx: InferContext, rank: number): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [clamp(ctx.int('start', 0)), clamp(ctx.int('end', rank))];
}

/** Same elements, new static shape: Identity, Reshape, Squeeze, Unsqueeze, Flatten. */
function relabel(ctx: InferContext): Known | undefined {
  const k = ctx.known(0);
  const dims = staticShape(ctx.outputType(0));
  if (!k || !dims || elementCount(dims) !== k.values.length) return undefined;
  return { dtype: k.dtype, dims: [...dims], values: k.values };
}

function gatherValue(ctx: InferContext): Known | undefined {
  const data = ctx.known(0);
  const indices = ctx.known(1);
  const picks = knownNumbers(indices);
  const axis = ctx.int('axis', 0);
  if (!data || !indices || !picks || data.dims.length !== 1 || (axis !== 0 && axis !== -1)) return undefined;
  const n = data.values.length;
  if (picks.some((i) => i < -n || i >= n)) return undefined;
  return { dtype: data.dtype, dims: [...indices.dims], values: picks.map((i) => data.values[i < 0 ? i + n : i]!) };
}

function sliceValue(ctx: InferContext): Known | undefined {
  const data = ctx.known(0);
  if (!data || data.dims.length !== 1) return undefined;
  const legacy = ctx.opset < 10;
  const starts = legacy ? ctx.ints('starts') : ctx.knownNumbers(1);
  const ends = legacy ? ctx.ints('ends') : ctx.knownNumbers(2);
  const axes = legacy ? (ctx.ints('axes') ?? [0]) : ctx.has(3) ? ctx.knownNumbers(3) : [0];
  const steps = legacy ? [1] : ctx.has(4) ? ctx.knownNumbers(4) : [1];
  if (!starts || !ends || !axes || !steps || starts.length !== 1 || (axes[0] !== 0 && axes[0] !== -1)) return undefined;
  const { start, step, count } = sliceRange(data.values.length, starts[0]!, ends[0]!, steps[0] ?? 1);
  const values = Array.from({ length: count }, (_, i) => data.values[start + i * step]!);
  return knownVector(data.dtype, values);
}

function concatValue(ctx: InferContext): Known | undefined {
  const parts = ctx.node.inputs.map((_, i) => ctx.known(i));
  if (parts.some((k) => !k || k.dims.length !== 1) || parts.length === 0) return undefined;
  const values = parts.flatMap((k) => k!.values);
  return values.length <= KNOWN_LIMIT ? knownVector(parts[0]!.dtype, values) : undefined;
}

/** Split of a known vector: the pieces are cut by the outputs' inferred lengths. */
function splitValues(ctx: InferContext): (Known | undefined)[] {
  const data = ctx.known(0);
  if (!data || data.dims.length !== 1) return [];
  let at = 0;
  const pieces = ctx.node.outputs.map((_, i) => {
    const dims = staticShape(ctx.outputType(i));
    if (!dims || dims.length !== 1) return undefined;
    const piece = knownVector(data.dtype, data.values.slice(at, at + dims[0]!));
    at += dims[0]!;
    return piece;
  });
  return at === data.values.length ? pieces : [];
}

function castValue(ctx: InferContext): Known | undefined {
  const k = ctx.known(0);
  const to = ctx.node.opType === 'CastLike' ? ctx.optionalDtype(1) : ctx.int('to');
  return k && to !== undefined ? castKnown(k, to as DataType) : undefined;
}

function rangeValue(ctx: InferContext): Known | undefined {
  const [start, limit, delta] = [ctx.knownNumbers(0), ctx.knownNumbers(1), ctx.knownNumbers(2)];
  if (!start || !limit || !delta || delta[0] === 0) return undefined;
  const count = Math.max(Math.ceil((limit[0]! - start[0]!) / delta[0]!), 0);
  if (count > KNOWN_LIMIT) return undefined;
  return knownVector(ctx.dtype(0), Array.from({ length: count }, (_, i) => start[0]! + i * delta[0]!));
}

function constantOfShapeValue(ctx: InferContext): Known | undefined {
  const dims = ctx.knownNumbers(0);
  if (!dims || elementCount(dims) > KNOWN_LIMIT) return undefined;
  const fill = ctx.tensorAttr('value');
  const filler = fill ? knownFromTensor(fill) : knownScalar(DataType.FLOAT, 0);
  if (!filler || filler.values.length !== 1) return undefined;
  return { dtype: filler.dtype, dims: [...dims], values: new Array<Dim>(elementCount(dims)).fill(filler.values[0]!) };
}

function sizeValue(ctx: InferContext): Known | undefined {
  const shape = ctx.shape(0);
  return shape ? knownScalar(DataType.INT64, productOfDims(shape)) : undefined;
}

/** ReduceProd/ReduceSum of a known vector: how exporters compute flattened sizes. */
function reduceValue(ctx: InferContext): Known | undefined {
  const k = ctx.known(0);
  if (!k || k.dims.length !== 1) return undefined;
  const axes = ctx.opset >= (ctx.node.opType === 'ReduceSum' ? 13 : 18) ? (ctx.has(1) ? ctx.knownNumbers(1) : []) : (ctx.ints('axes') ?? []);
  if (!axes || axes.some((a) => a !== 0 && a !== -1)) return undefined;
  const combine = ctx.node.opType === 'ReduceProd' ? productOfDims : (ds: Dim[]) => ds.reduce<Dim>((s, d) => (typeof s === 'number' && typeof d === 'number' ? s + d : null), 0);
  const value = combine(k.values);
  return ctx.int('keepdims', 1) ? knownVector(k.dtype, [value]) : knownScalar(k.dtype, value);
}

const RULES: Record<string, KnownRule> = {
  Constant: (ctx) => one(constantValue(ctx)),
  Shape: (ctx) => one(shapeValue(ctx)),
  Size: (ctx) => one(sizeValue(ctx)),
  Identity: (ctx) => one(ctx.known(0)),
  Reshape: (ctx) => one(relabel(ctx)),
  Squeeze: (ctx) => one(relabel(ctx)),
  Unsqueeze: (ctx) => one(relabel(ctx)),
  Flatten: (ctx) => one(relabel(ctx)),
  Gather: (ctx) => one(gatherValue(ctx)),
  Slice: (ctx) => one(sliceValue(ctx)),
  Concat: (ctx) => one(concatValue(ctx)),
  Split: splitValues,
  Cast: (ctx) => one(castValue(ctx)),
  CastLike: (ctx) => one(castValue(ctx)),
  Range: (ctx) => one(rangeValue(ctx)),
  ConstantOfShape: (ctx) => one(constantOfShapeValue(ctx)),
  ReduceProd: (ctx) => one(reduceValue(ctx)),
  ReduceSum: (ctx) => one(reduceValue(ctx)),
  Where: (ctx) => one(knownWhere(ctx)),
};
for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Equal', 'Less', 'Greater']) RULES[op] = (ctx) => one(knownBinary(ctx));
for (const op of ['Neg', 'Abs', 'Floor', 'Ceil', 'Not', 'Sqrt']) RULES[op] = (ctx) => one(knownUnary(ctx));

export function knownRuleFor(domain: string, opType: string): KnownRule | undefined {
  return domain === '' ? RULES[opType] : undefined;
}
