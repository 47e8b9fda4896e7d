import { DataType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/types.js';
import type { InferContext } from './context.js';
import { isIntegerType, type Known } from './known.js';

// Elementwise arithmetic on known small tensors: the Add/Mul/Div/Equal/Where steps exporters put
// between Shape and Reshape. Symbols (dims of unknown size) pass through only where the result is
// certain: x + 0, x * 1, max(x, x), x == -1 (false: dims are never negative).

type Binary = (a: Dim, b: Dim, integer: boolean) => Dim;

const num = (d: Dim): d is number => typeof d === 'number';

function exactInt(value: number, integer: boolean): Dim {
  if (!Number.isFinite(value)) return null;
  return integer ? Math.trunc(value) : value;
}

const BINARY: Record<string, Binary> = {
  Add: (a, b, i) => (num(a) && num(b) ? exactInt(a + b, i) : a === 0 ? b : b === 0 ? a : null),
  Sub: (a, b, i) => (num(a) && num(b) ? exactInt(a - b, i) : b === 0 ? a : a === b && a !== null ? 0 : null),
  Mul: (a, b, i) => (num(a) && num(b) ? exactInt(a * b, i) : a === 1 ? b : b === 1 ? a : a === 0 || b === 0 ? 0 : null),
  // Integer division in ONNX Runtime truncates toward zero, as C++ does.
  Div: (a, b, i) => (num(a) && num(b) ? (b === 0 ? null : exactInt(a / b, i)) : b === 1 ? a : null),
  Max: (a, b) => (num(a) && num(b) ? Math.max(a, b) : a === b ? a : null),
  Min: (a, b) => (num(a) && num(b) ? Math.min(a, b) : a === b ? a : null),
  Equal: (a, b) => (num(a) && num(b) ? Number(a === b) : a === b && a !== null ? 1 : compareSymbol(a, b)),
  Less: (a, b) => (num(a) && num(b) ? Number(a < b) : null),
  Greater: (a, b) => (num(a) && num(b) ? Number(a > b) : null),
};

/** A symbolic dim is ≥ 0, so it never equals a negative number. */
function compareSymbol(a: Dim, b: Dim): Dim {
  if (typeof a === 'string' && num(b) && b < 0) return 0;
  if (typeof b === 'string' && num(a) && a < 0) return 0;
  return null;
}

const COMPARISONS = new Set(['Equal', 'Less', 'Greater']);

/** Broadcast two known tensors of rank ≤ 1; larger ranks are not shape arithmetic. */
function broadcastPair(a: Known, b: Known): { dims: number[]; at: (k: Known, i: number) => Dim } | undefined {
  if (a.dims.length > 1 || b.dims.length > 1) return undefined;
  const n = a.values.length;
  const m = b.values.length;
  if (n !== m && n !== 1 && m !== 1) return undefined;
  const length = Math.max(n, m);
  const dims = a.dims.length === 0 && b.dims.length === 0 ? [] : [length];
  return { dims, at: (k, i) => (k.values.length === 1 ? k.values[0]! : k.values[i]!) };
}

export function knownBinary(ctx: InferContext): Known | undefined {
  const op = BINARY[ctx.node.opType];
  const a = ctx.known(0);
  const b = ctx.known(1);
  // Max and Min are variadic; only the two-operand form is shape arithmetic.
  if (!op || !a || !b || ctx.inputCount !== 2) return undefined;
  const shape = broadcastPair(a, b);
  if (!shape) return undefined;
  const integer = isIntegerType(a.dtype);
  const length = shape.dims.length === 0 ? 1 : shape.dims[0]!;
  const values: Dim[] = [];
  for (let i = 0; i < length; i++) {
    let v = op(shape.at(a, i), shape.at(b, i), integer);
    if (num(v) && a.dtype === DataType.FLOAT) v = Math.fround(v);
    values.push(v);
  }
  return { dtype: COMPARISONS.has(ctx.node.opType) ? DataType.BOOL : a.dtype, dims: shape.dims, values };
}

const UNARY: Record<string, (v: number) => number> = {
  Neg: (v) => -v,
  Abs: Math.abs,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Not: (v) => Number(v === 0),
  Sqrt: Math.sqrt,
};

export function knownUnary(ctx: InferContext): Known | undefined {
  const op = UNARY[ctx.node.opType];
  const a = ctx.known(0);
  if (!op || !a) return undefined;
  const keepsSymbols = ctx.node.opType === 'Abs' || ((ctx.node.opType === 'Floor' || ctx.node.opType === 'Ceil') && isIntegerType(a.dtype));
  const values = a.values.map((v): Dim => (num(v) ? op(v) : keepsSymbols ? v : null));
  return { dtype: a.dtype, dims: [...a.dims], values };
}

export function knownWhere(ctx: InferContext): Known | undefined {
  const [cond, x, y] = [ctx.known(0), ctx.known(1), ctx.known(2)];
  if (!cond || !x || !y) return undefined;
  const xy = broadcastPair(x, y);
  const cx = broadcastPair(cond, x);
  if (!xy || !cx) return undefined;
  const length = Math.max(cond.values.length, x.values.length, y.values.length);
  if ([cond, x, y].some((k) => k.values.length !== 1 && k.values.length !== length)) return undefined;
  const pick = (k: Known, i: number) => (k.values.length === 1 ? k.values[0]! : k.values[i]!);
  const values: Dim[] = [];
  for (let i = 0; i < length; i++) {
    const c = pick(cond, i);
    values.push(c === null || typeof c === 'string' ? null : c !== 0 ? pick(x, i) : pick(y, i));
  }
  const rank = Math.max(cond.dims.length, x.dims.length, y.dims.length);
  return { dtype: x.dtype, dims: rank === 0 ? [] : [length], values };
}
