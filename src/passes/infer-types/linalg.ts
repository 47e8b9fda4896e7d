import type { Dim } from '../../ir/types.js';
import { cannotInfer, type TypeRule } from './context.js';
import { broadcastShapes } from './dims.js';
import { sharedDtype, tensorOf, tryShape } from './common.js';

/** numpy.matmul: 1-D operands get a unit dim that is dropped again; batch dims broadcast. */
export function matmulShape(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): Dim[] | undefined {
  if (!a || !b) return undefined;
  if (a.length === 0 || b.length === 0) cannotInfer('MatMul operands must not be scalars');
  const left = a.length === 1 ? [1, a[0]!] : [...a];
  const right = b.length === 1 ? [b[0]!, 1] : [...b];
  const batch = broadcastShapes([left.slice(0, -2), right.slice(0, -2)]);
  const out = [...batch];
  if (a.length > 1) out.push(left[left.length - 2]!);
  if (b.length > 1) out.push(right[right.length - 1]!);
  return out;
}

const matmul: TypeRule = (ctx) => [tensorOf(sharedDtype(ctx, [0, 1]), tryShape(() => matmulShape(ctx.shape(0), ctx.shape(1))))];

const gemm: TypeRule = (ctx) => {
  const a = ctx.shape(0);
  const b = ctx.shape(1);
  const m = a && a.length === 2 ? a[ctx.int('transA', 0) ? 1 : 0]! : undefined;
  const n = b && b.length === 2 ? b[ctx.int('transB', 0) ? 0 : 1]! : undefined;
  return [tensorOf(sharedDtype(ctx, [0, 1]), m !== undefined && n !== undefined ? [m, n] : undefined)];
};

/** Einsum's output shape from its equation, explicit ("ij,jk->ik") or implicit ("ij,jk"). */
export function einsumShape(equation: string, shapes: (readonly Dim[] | undefined)[]): Dim[] | undefined {
  const compact = equation.replace(/\s+/g, '');
  const [lhs, rhs] = compact.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) cannotInfer(`Einsum equation '${equation}' names ${terms.length} operands, the node has ${shapes.length}`);
  const letters = new Map<string, Dim>();
  const counts = new Map<string, number>();
  const ellipses: Dim[][] = [];
  for (const [t, term] of terms.entries()) {
    const shape = shapes[t];
    if (!shape) return undefined;
    const [before, after] = term.includes('...') ? term.split('...') as [string, string] : [term, undefined];
    const named = before.length + (after?.length ?? 0);
    const broadcastRank = after === undefined ? 0 : shape.length - named;
    if (broadcastRank < 0 || (after === undefined && named !== shape.length)) cannotInfer(`Einsum term '${term}' does not fit rank ${shape.length}`);
    const bind = (letter: string, dim: Dim) => {
      counts.set(letter, (counts.get(letter) ?? 0) + 1);
      const prior = letters.get(letter);
      // A number is the most precise thing one operand can say about a letter's size.
      if (prior === undefined || (typeof prior !== 'number' && dim !== null)) letters.set(letter, dim);
    };
    [...before].forEach((l, i) => bind(l, shape[i]!));
    if (after !== undefined) {
      ellipses.push(shape.slice(before.length, before.length + broadcastRank));
      [...after].forEach((l, i) => bind(l, shape[before.length + broadcastRank + i]!));
    }
  }
  const ellipsis = broadcastShapes(ellipses);
  const output = rhs ?? `...${[...counts].filter(([, c]) => c === 1).map(([l]) => l).sort().join('')}`;
  const [outBefore, outAfter] = output.includes('...') ? output.split('...') as [string, string] : [output, undefined];
  const dimOf = (l: string) => {
    if (!letters.has(l)) cannotInfer(`Einsum output letter '${l}' appears in no input`);
    return letters.get(l)!;
  };
  return [...[...outBefore].map(dimOf), ...(outAfter !== undefined ? ellipsis : []), ...[...(outAfter ?? '')].map(dimOf)];
}

const einsum: TypeRule = (ctx) => {
  const inputs = ctx.node.inputs.map((_, i) => i);
  const shape = tryShape(() => einsumShape(ctx.string('equation', ''), inputs.map((i) => ctx.shape(i))));
  return [tensorOf(sharedDtype(ctx, inputs), shape)];
};

export const linalgRules: Record<string, TypeRule> = {
  MatMul: matmul,
  Gemm: gemm,
  Einsum: einsum,
};
