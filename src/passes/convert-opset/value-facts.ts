import { AttrType } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { Node } from '../../ir/node.js';
import { toNumbers } from '../../ir/tensor/values.js';
import { isTensorType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { vectorLength } from './vector-length.js';

/**
 * Rank and element type of values, as far as they follow from declared types, constants and a few
 * operators whose output form is plain. Exported models (PaddleOCR, tf2onnx) often declare no
 * intermediate types, yet adapters need a rank (Softmax: is `axis` the last dim?) or an element
 * type (Clip and Pad constants must match the data). Unknown stays unknown: callers fall back to
 * a form that does not need the fact, or refuse.
 *
 * One forward pass in node order (nodes are topologically sorted, subgraphs follow their owners).
 */
export class ValueFacts {
  private readonly ranks = new Map<Value, number>();
  private readonly types = new Map<Value, DataType>();
  /** Lengths of 1-D values (computed shapes). */
  private readonly lengths = new Map<Value, number>();

  constructor(graphs: Iterable<Graph>) {
    for (const graph of graphs) {
      for (const v of [...graph.inputs, ...graph.initializers.values()]) this.declare(v);
      for (const node of graph.nodes) {
        for (const out of node.outputs) if (out) this.declare(out);
        this.infer(node);
      }
    }
  }

  rank(v: Value): number | undefined {
    return this.ranks.get(v) ?? v.constTensor()?.dims.length;
  }

  elemType(v: Value): DataType | undefined {
    return this.types.get(v) ?? v.constTensor()?.dtype;
  }

  /** The number of elements of a 1-D value. */
  length(v: Value): number | undefined {
    const known = this.lengths.get(v);
    if (known !== undefined) return known;
    const tensor = v.constTensor();
    if (tensor) return tensor.dims.length === 1 ? tensor.dims[0] : undefined;
    const type = v.type;
    return isTensorType(type) && type.shape?.length === 1 && typeof type.shape[0] === 'number' ? type.shape[0] : undefined;
  }

  private declare(v: Value): void {
    const type = v.type;
    if (!isTensorType(type)) return;
    if (type.elemType !== DataType.UNDEFINED) this.types.set(v, type.elemType);
    if (type.shape) this.ranks.set(v, type.shape.length);
  }

  private infer(node: Node): void {
    if (node.domain !== '') return;
    const rank = this.outputRank(node);
    const type = this.outputType(node);
    const length = vectorLength(node, this);
    const first = node.outputs[0];
    if (first && length !== undefined) {
      this.lengths.set(first, length);
      if (!this.ranks.has(first)) this.ranks.set(first, 1);
    }
    node.outputs.forEach((out, i) => {
      if (!out) return;
      // Other outputs are only known for ops whose outputs all share output 0's form (Split, TopK).
      if (rank !== undefined && (i === 0 || MULTI_OUTPUT_SAME_RANK.has(node.opType)) && !this.ranks.has(out)) this.ranks.set(out, rank);
      const t = i === 0 ? type : node.opType === 'TopK' && i === 1 ? DataType.INT64 : MULTI_OUTPUT_SAME_RANK.has(node.opType) ? type : undefined;
      if (t !== undefined && !this.types.has(out)) this.types.set(out, t);
    });
  }

  private outputRank(node: Node): number | undefined {
    const r = (i: number) => {
      const v = node.input(i);
      return v ? this.rank(v) : undefined;
    };
    const op = node.opType;
    if (SAME_FORM.has(op)) return r(0);
    if (BROADCAST.has(op) || COMPARISON.has(op) || op === 'Where') {
      const ranks = node.inputs.map((v) => (v ? this.rank(v) : undefined));
      return ranks.every((x) => x !== undefined) ? Math.max(...(ranks as number[])) : undefined;
    }
    switch (op) {
      case 'Gemm':
      case 'Flatten':
      case 'NonZero':
        return 2;
      case 'Shape':
      case 'Range':
        return 1;
      case 'Size':
        return 0;
      case 'Constant':
        return node.attrTensor('value')?.dims.length;
      case 'MatMul': {
        const [a, b] = [r(0), r(1)];
        if (a === undefined || b === undefined) return undefined;
        if (a >= 2 && b >= 2) return Math.max(a, b);
        return Math.max(a, b) - 1;
      }
      case 'Reshape': {
        const shape = node.input(1);
        return shape ? this.length(shape) : undefined;
      }
      case 'Gather': {
        const [a, b] = [r(0), r(1)];
        return a !== undefined && b !== undefined ? a + b - 1 : undefined;
      }
      case 'Unsqueeze':
      case 'Squeeze': {
        const axes = axesOf(node);
        const x = r(0);
        if (x === undefined || axes === undefined) return undefined;
        return op === 'Unsqueeze' ? x + axes.length : x - new Set(axes.map((a) => (a < 0 ? a + x : a))).size;
      }
      case 'ArgMax':
      case 'ArgMin':
      case 'ReduceL1': case 'ReduceL2': case 'ReduceLogSum': case 'ReduceLogSumExp': case 'ReduceMax':
      case 'ReduceMean': case 'ReduceMin': case 'ReduceProd': case 'ReduceSum': case 'ReduceSumSquare': {
        const x = r(0);
        if (x === undefined || node.attrInt('keepdims', 1) === 1) return x;
        if (op === 'ArgMax' || op === 'ArgMin') return x - 1;
        const axes = axesOf(node);
        return axes === undefined ? undefined : axes.length === 0 ? 0 : x - new Set(axes.map((a) => (a < 0 ? a + x : a))).size;
      }
      default:
        return undefined;
    }
  }

  private outputType(node: Node): DataType | undefined {
    const t = (i: number) => {
      const v = node.input(i);
      return v ? this.elemType(v) : undefined;
    };
    const op = node.opType;
    if (COMPARISON.has(op) || op === 'Not' || op === 'IsNaN' || op === 'IsInf') return DataType.BOOL;
    if (BROADCAST.has(op) && op !== 'Pow') {
      // Inputs share one element type: any known one will do.
      return node.inputs.map((v) => (v ? this.elemType(v) : undefined)).find((x) => x !== undefined);
    }
    if (SAME_FORM.has(op) || op === 'Pow') {
      if (op === 'Cast') return node.attrInt('to') as DataType | undefined;
      if (op === 'CastLike') return t(1);
      if (op === 'QuantizeLinear' || op === 'DequantizeLinear') return undefined;
      return t(0);
    }
    switch (op) {
      case 'Where':
        return t(1) ?? t(2);
      case 'Gemm':
      case 'Flatten':
      case 'MatMul':
      case 'Reshape':
      case 'Gather':
      case 'Squeeze':
      case 'Unsqueeze':
      case 'ReduceL1': case 'ReduceL2': case 'ReduceLogSum': case 'ReduceLogSumExp': case 'ReduceMax':
      case 'ReduceMean': case 'ReduceMin': case 'ReduceProd': case 'ReduceSum': case 'ReduceSumSquare':
        return t(0);
      case 'Shape':
      case 'Size':
      case 'NonZero':
      case 'ArgMax':
      case 'ArgMin':
        return DataType.INT64;
      case 'Constant':
        return node.attrTensor('value')?.dtype;
      default:
        return undefined;
    }
  }
}

/** The axes of Squeeze/Unsqueeze/Reduce*, from the attribute (old forms) or a constant input (new forms). */
function axesOf(node: Node): number[] | undefined {
  const fromAttr = node.attrInts('axes');
  if (fromAttr) return fromAttr;
  if (node.getAttr('axes')?.type === AttrType.UNDEFINED) return undefined;
  const input = node.input(1)?.constTensor();
  if (input) return toNumbers(input);
  // Squeeze and Reduce* without axes act on all dims; that count is not known here.
  return undefined;
}

/** Output 0 has the rank and element type of input 0. */
const SAME_FORM = new Set([
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'Ceil', 'Cos', 'Cosh', 'Elu', 'Erf', 'Exp', 'Floor',
  'HardSigmoid', 'HardSwish', 'Identity', 'LeakyRelu', 'Log', 'Neg', 'Reciprocal', 'Relu', 'Round', 'Selu', 'Sigmoid',
  'Sign', 'Sin', 'Sinh', 'Softplus', 'Softsign', 'Sqrt', 'Tan', 'Tanh', 'ThresholdedRelu', 'Celu', 'Gelu', 'Mish',
  'Shrink', 'Clip', 'Cast', 'CastLike', 'Dropout', 'Softmax', 'LogSoftmax', 'Hardmax', 'LRN', 'InstanceNormalization',
  'BatchNormalization', 'LayerNormalization', 'MeanVarianceNormalization', 'LpNormalization', 'Conv', 'ConvTranspose',
  'AveragePool', 'MaxPool', 'LpPool', 'GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool', 'Pad', 'Resize', 'Upsample',
  'Slice', 'Transpose', 'Tile', 'DepthToSpace', 'SpaceToDepth', 'QuantizeLinear', 'DequantizeLinear', 'CumSum', 'Trilu',
  'PRelu', 'ReverseSequence', 'Concat', 'Split', 'ScatterElements', 'ScatterND', 'Scatter', 'GatherElements', 'TopK',
  'IsNaN', 'IsInf', 'Not',
]);

/** Every output has the form of output 0. */
const MULTI_OUTPUT_SAME_RANK = new Set(['Split', 'TopK']);

/** Multidirectional broadcasting: the rank is the largest input rank; the element type is input 0's. */
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Max', 'Min', 'Sum', 'Mean', 'BitShift']);

/** Broadcasting comparisons and logic: bool outputs. */
const COMPARISON = new Set(['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor']);
