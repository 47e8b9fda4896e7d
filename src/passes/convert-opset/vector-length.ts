import type { Node } from '../../ir/node.js';
import { toNumbers } from '../../ir/tensor/values.js';
import type { Value } from '../../ir/value.js';
import { int64Attribute } from './rewrite.js';

/** What vectorLength needs to know about the node's inputs. */
export interface LengthFacts {
  rank(v: Value): number | undefined;
  length(v: Value): number | undefined;
}

/**
 * The length of a node's 1-D output, for the small integer vectors exporters compute shapes with
 * (PaddleOCR: Concat(Cast(Constant), Cast(Slice(Shape(x)))) → Reshape). Knowing the length of a
 * Reshape's shape input gives the rank of its output even when the sizes are only known at run time.
 */
export function vectorLength(node: Node, facts: LengthFacts): number | undefined {
  const inputLength = (i: number) => {
    const v = node.input(i);
    return v ? facts.length(v) : undefined;
  };
  switch (node.opType) {
    case 'Shape': {
      const rank = facts.rank(node.input(0)!);
      if (rank === undefined) return undefined;
      // Shape-15 may take a [start, end) part of the dims.
      return clampedSpan(node.attrInt('start', 0), node.attrInt('end', rank), rank);
    }
    case 'Cast':
    case 'Identity':
    case 'Neg':
    case 'Abs':
    case 'Relu':
    case 'Floor':
    case 'Ceil':
    case 'Round':
      return inputLength(0);
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Max':
    case 'Min': {
      const [a, b] = [inputLength(0), inputLength(1)];
      if (a === undefined || b === undefined) return undefined;
      return a === b || b === 1 ? a : a === 1 ? b : undefined;
    }
    case 'Concat': {
      const lengths = node.inputs.map((v) => (v ? facts.length(v) : undefined));
      return lengths.every((n) => n !== undefined) ? (lengths as number[]).reduce((x, y) => x + y, 0) : undefined;
    }
    case 'Unsqueeze': {
      // A scalar given one new axis (attribute before 13, input after).
      const axes = int64Attribute(node, 'axes') ?? constNumbers(node.input(1));
      return facts.rank(node.input(0)!) === 0 && axes?.length === 1 ? 1 : undefined;
    }
    case 'Gather': {
      const indices = node.input(1);
      return facts.rank(node.input(0)!) === 1 && indices && facts.rank(indices) === 1 ? facts.length(indices) : undefined;
    }
    case 'Slice':
      return sliceLength(node, inputLength(0));
    default:
      return undefined;
  }
}

/** A 1-D Slice with constant bounds and unit steps (attribute form before 10, inputs after). */
function sliceLength(node: Node, length: number | undefined): number | undefined {
  if (length === undefined) return undefined;
  const read = (name: string, index: number) => int64Attribute(node, name)?.map(Number) ?? constNumbers(node.input(index));
  const [starts, ends, axes, steps] = [read('starts', 1), read('ends', 2), read('axes', 3), constNumbers(node.input(4))];
  if (starts?.length !== 1 || ends?.length !== 1) return undefined;
  if (axes && !(axes.length === 1 && (axes[0] === 0 || axes[0] === -1))) return undefined;
  if (steps && steps[0] !== 1) return undefined;
  return clampedSpan(starts[0]!, ends[0]!, length);
}

function constNumbers(v: Value | undefined): number[] | undefined {
  const t = v?.constTensor();
  return t ? toNumbers(t) : undefined;
}

/** Elements in [start, end) of a length-n vector, with negative and out-of-range bounds clamped as Slice does. */
function clampedSpan(start: number, end: number, n: number): number {
  const clamp = (x: number) => (x < 0 ? Math.max(0, x + n) : Math.min(x, n));
  return Math.max(0, clamp(end) - clamp(start));
}
