import type { Dim } from '../../ir/types.js';
import { cannotInfer } from './context.js';

// Arithmetic on dimensions that may be numbers, symbolic names or unknown (null). The rule
// everywhere: a number is only produced when it is certain; a symbol only where the value is
// provably the same symbol; otherwise null.

/** Axis in [-rank, rank) → [0, rank); an axis out of range means the model is invalid here. */
export function normalizeAxis(axis: number, rank: number, what = 'axis'): number {
  if (axis < -rank || axis >= rank) cannotInfer(`${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

export function normalizeAxes(axes: readonly number[], rank: number, what = 'axes'): number[] {
  return axes.map((a) => normalizeAxis(a, rank, what));
}

/** Numpy broadcasting of one aligned column of dims. */
function broadcastColumn(column: Dim[]): Dim {
  const numbers = column.filter((d): d is number => typeof d === 'number' && d !== 1);
  if (numbers.length > 0) {
    if (numbers.some((n) => n !== numbers[0])) cannotInfer(`cannot broadcast dimensions ${numbers.join(' and ')}`);
    // A 0 or an n > 1 wins over 1, symbols and unknowns (which must then be 1 or equal).
    return numbers[0]!;
  }
  const symbols = new Set(column.filter((d): d is string => typeof d === 'string'));
  if (symbols.size === 1) {
    // Every other entry is 1 or unknown; an unknown one is either 1 or the same size.
    return [...symbols][0]!;
  }
  if (symbols.size > 1) return null;
  return column.every((d) => d === 1) ? 1 : null;
}

/** Multidirectional (numpy) broadcasting of several shapes. */
export function broadcastShapes(shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const column = shapes.map((s) => s[s.length - rank + i]).filter((d): d is Dim => d !== undefined);
    out.push(broadcastColumn(column));
  }
  return out;
}

export function mulDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === 0 || b === 0) return 0;
  return null;
}

export function addDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return null;
}

export function productOfDims(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((acc, d) => mulDims(acc, d), 1);
}

/** Where two inferences of one dim disagree or are unknown, only what both say survives. */
export function unifyDim(a: Dim, b: Dim): Dim {
  return a === b ? a : null;
}

/** Shapes of one value coming from two places (If branches, loop iterations). */
export function unifyShapes(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): Dim[] | undefined {
  if (!a || !b || a.length !== b.length) return undefined;
  return a.map((d, i) => unifyDim(d, b[i]!));
}

/**
 * A product of dims as number × symbols, for cancelling symbols in Reshape's -1: [batch, 128, 768]
 * reshaped to [batch, -1, 12, 64] gives 128 although batch is unknown.
 */
export interface SymbolicProduct {
  coefficient: number;
  symbols: Map<string, number>;
  /** A null dim took part, so the product is not known. */
  opaque: boolean;
}

export function symbolicProduct(dims: readonly Dim[]): SymbolicProduct {
  const out: SymbolicProduct = { coefficient: 1, symbols: new Map(), opaque: false };
  for (const d of dims) {
    if (typeof d === 'number') out.coefficient *= d;
    else if (typeof d === 'string') out.symbols.set(d, (out.symbols.get(d) ?? 0) + 1);
    else out.opaque = true;
  }
  return out;
}

/** total / part as a dim when it is certain, else null. */
export function divideProducts(total: SymbolicProduct, part: SymbolicProduct): Dim {
  if (total.opaque || part.opaque || part.coefficient === 0) return null;
  if (total.coefficient % part.coefficient !== 0) return null;
  const remaining = new Map(total.symbols);
  for (const [symbol, count] of part.symbols) {
    const have = remaining.get(symbol) ?? 0;
    if (have < count) return null;
    if (have === count) remaining.delete(symbol);
    else remaining.set(symbol, have - count);
  }
  const coefficient = total.coefficient / part.coefficient;
  if (remaining.size === 0) return coefficient;
  const [symbol, count] = [...remaining][0]!;
  return remaining.size === 1 && count === 1 && coefficient === 1 ? symbol : null;
}

/** Integer division rounding toward −∞, as ONNX's pooling formulas use. */
export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}
