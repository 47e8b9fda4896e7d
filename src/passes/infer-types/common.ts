import type { DataType } from '../../ir/dtype.js';
import { tensorType, type Dim, type TensorTypeInfo } from '../../ir/types.js';
import { CannotInfer, type InferContext, type TypeRule } from './context.js';
import { broadcastShapes } from './dims.js';

// Building blocks that many rules share.

/** A tensor type whose shape may be unknown (then only the element type is given). */
export function tensorOf(dtype: DataType, shape: readonly Dim[] | undefined): TensorTypeInfo {
  return tensorType(dtype, shape ? [...shape] : undefined);
}

/** The element type shared by several inputs of one type variable: the first that is known. */
export function sharedDtype(ctx: InferContext, indices: readonly number[]): DataType {
  for (const i of indices) {
    const t = ctx.optionalDtype(i);
    if (t !== undefined) return t;
  }
  return ctx.dtype(indices[0]!);
}

/** Shapes of the given inputs broadcast together; undefined while any rank is unknown. */
export function broadcastInputs(ctx: InferContext, indices: readonly number[]): Dim[] | undefined {
  const shapes = indices.filter((i) => ctx.has(i)).map((i) => ctx.shape(i));
  if (shapes.some((s) => s === undefined)) return undefined;
  return broadcastShapes(shapes as Dim[][]);
}

/** Output 0 has input i's type and shape: unary math, activations, normalizations. */
export function sameAs(i = 0): TypeRule {
  return (ctx) => [tensorOf(ctx.dtype(i), ctx.shape(i))];
}

/** Every input of a variadic op, by index. */
export function allInputs(ctx: InferContext): number[] {
  return ctx.node.inputs.map((_, i) => i);
}

/** Output 0 is every input broadcast together, of the inputs' shared type (Add, Sum, Max…). */
export const broadcastAll: TypeRule = (ctx) => {
  const inputs = allInputs(ctx);
  return [tensorOf(sharedDtype(ctx, inputs), tryShape(() => broadcastInputs(ctx, inputs)))];
};

/** Read a list of ints that is an attribute before `inputSince` and an input from then on. */
export function intsAttrOrInput(ctx: InferContext, name: string, inputIndex: number, inputSince: number): number[] | undefined | 'unknown' {
  if (ctx.opset < inputSince) return ctx.ints(name);
  if (!ctx.has(inputIndex)) return undefined;
  return ctx.knownNumbers(inputIndex) ?? 'unknown';
}

/**
 * Run a shape computation that may lack information (an unknown rank, an input whose contents are
 * not known) and give undefined then, so that the output still gets its element type.
 */
export function tryShape(compute: () => Dim[] | undefined): Dim[] | undefined {
  return attempt(compute);
}

/** The result of `compute`, or undefined where it could not be inferred (CannotInfer). */
export function attempt<T>(compute: () => T | undefined): T | undefined {
  try {
    return compute();
  } catch (error) {
    if (error instanceof CannotInfer) return undefined;
    throw error;
  }
}
