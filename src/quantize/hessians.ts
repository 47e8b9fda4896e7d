import type { CalibrationProgress } from '../calib/options.js';
import type { SampleSource } from '../data/samples.js';
import { LowbitError } from '../errors.js';
import { attr, type AttributeValue } from '../ir/attribute.js';
import { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import type { Tensor } from '../ir/tensor/tensor.js';
import { int64Tensor } from '../ir/tensor/values.js';
import { isTensorType } from '../ir/types.js';
import type { Runner } from '../runner/runner.js';
import type { Value } from '../ir/value.js';
import { mainGraphValues, overCalibration, pruneToOutputs } from './statistics-model.js';
import { decodeModel } from '../serde/decode.js';
import { encodeModel } from '../serde/encode.js';

/** What GPTQ (int4, and int8 weight rounding) needs from the caller: samples, and a runtime to run the float model on them. */
export interface LayerCalibration {
  source: SampleSource;
  /** Loads a model (onnxruntime in practice: src/node's createNodeRunner, or the web runner). */
  createRunner: (modelBytes: Uint8Array) => Promise<Runner>;
  /** Use at most this many samples. */
  maxSamples?: number;
  /**
   * Bytes of float64 Hessians held at once (default 1 GiB). Layers whose statistics do not fit go
   * in later groups, one pass over the data each, so memory stays bounded for any model size.
   */
  maxHessianBytes?: number;
  onProgress?: (progress: CalibrationProgress) => void;
  /** int8 GPTQ rounding: called after each weight is rounded (the linear algebra of wide layers takes seconds each). */
  onLayer?: (done: number, total: number) => void;
}

export const DEFAULT_MAX_HESSIAN_BYTES = 2 ** 30;

/** One MatMul input whose statistics are wanted, and its width K. */
export interface HessianTarget {
  value: string;
  k: number;
  /** Where the result goes in `byValue` (default: the value's name). */
  key?: string;
  /** A convolution's input: the statistics of its patches (im2col), one K × K matrix per group. */
  patches?: ConvPatches;
}

/** What a convolution reads of its input: K = channelsPerGroup · ∏ kernelShape values per output. */
export interface ConvPatches {
  group: number;
  channelsPerGroup: number;
  kernelShape: number[];
  /** The convolution's pads, strides, dilations and auto_pad, copied onto the patch extractor. */
  attributes: Record<string, AttributeValue>;
}

export interface Hessians {
  /** H = 2·XᵀX / rows per target key, K × K (group · K × K for patches), float64. */
  byValue: Map<string, Float64Array>;
  samples: number;
  /** Rows of X seen per target (tokens, for a language model). */
  rows: Map<string, number>;
}

/**
 * H = 2XᵀX/n for each target value over all calibration samples. X (the value reshaped to
 * [rows, K]) never leaves onnxruntime: a Gemm(X, X, transA = 1) added to a copy of the model
 * computes XᵀX there, so each run returns K × K floats per target instead of every activation, and
 * the sums are kept here in float64. The copy keeps only what the targets depend on.
 */
export async function collectHessians(model: Model, targets: readonly HessianTarget[], calibration: LayerCalibration): Promise<Hessians> {
  const copy = decodeModel(encodeModel(model));
  const fetches = addHessianOutputs(copy, targets);
  const runner = await calibration.createRunner(encodeModel(copy));
  const sums = new Map(targets.map((t) => [t.key ?? t.value, new Float64Array((t.patches?.group ?? 1) * t.k * t.k)]));
  const rows = new Map(targets.map((t) => [t.key ?? t.value, 0]));
  try {
    const samples = await overCalibration(calibration, async (feeds) => {
      const out = await runner.run(feeds, fetches.flatMap((f) => [f.xtx, f.shape]));
      for (const f of fetches) {
        const xtx = out[f.xtx]!.data as Float32Array;
        const sum = sums.get(f.value)!;
        for (let i = 0; i < sum.length; i++) sum[i]! += xtx[i]!;
        rows.set(f.value, rows.get(f.value)! + Number((out[f.shape]!.data as BigInt64Array)[f.rowsAxis]!));
      }
    });
    for (const [value, sum] of sums) {
      const n = rows.get(value)!;
      if (n > 0) for (let i = 0; i < sum.length; i++) sum[i] = (2 * sum[i]!) / n;
    }
    return { byValue: sums, samples, rows };
  } finally {
    await runner.dispose();
  }
}

interface Fetch {
  /** The target's key. */
  value: string;
  xtx: string;
  shape: string;
  /** Where the row count sits in `shape`. */
  rowsAxis: number;
}

/**
 * Append, per target, Cast(float32) → Reshape([-1, K]) → Gemm(X, X, transA=1) and Shape(X); for a
 * convolution's input, the patches first (patchMatrix). These become the only outputs, and the
 * nodes no output needs any more are removed.
 */
function addHessianOutputs(model: Model, targets: readonly HessianTarget[]): Fetch[] {
  const graph = model.graph;
  const byName = mainGraphValues(model);
  const original = graph.outputs;
  graph.outputs = [];
  const fetches = targets.map((t) => {
    const value = byName.get(t.value);
    if (!value) throw new LowbitError(`cannot compute statistics of '${t.value}': no such value in the main graph`, { code: 'unknown-value' });
    const add = (opType: string, inputs: Value[], attributes = {}) => {
      const node = new Node({ opType, name: model.freshName(`lowbit_gptq_${opType}`), inputs, outputs: [model.freshName(`${t.value}_gptq_${opType}`)], attributes });
      graph.appendNode(node);
      return node.output();
    };
    const constant = (name: string, tensor: Tensor) => graph.addInitializer(model.freshName(`${t.value}_gptq_${name}`), tensor);
    const elemType = isTensorType(value.type) ? value.type.elemType : DataType.FLOAT;
    const float = elemType === DataType.FLOAT ? value : add('Cast', [value], { to: attr.int(DataType.FLOAT) });
    const key = t.key ?? t.value;
    if (t.patches) {
      const { x, xt, rows } = patchMatrix(float, t.k, t.patches, add, constant);
      const xxt = add('MatMul', [x, xt]);
      xxt.type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [t.patches.group, t.k, t.k] };
      graph.outputs.push(xxt, rows);
      return { value: key, xtx: xxt.name, shape: rows.name, rowsAxis: 2 };
    }
    const x = add('Reshape', [float, constant('rows_by_k', int64Tensor([2], [-1, t.k]))]);
    const xtx = add('Gemm', [x, x], { transA: attr.int(1) });
    xtx.type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [t.k, t.k] };
    const rowsShape = add('Shape', [x]);
    rowsShape.type = { kind: 'tensor', elemType: DataType.INT64, shape: [2] };
    graph.outputs.push(xtx, rowsShape);
    return { value: key, xtx: xtx.name, shape: rowsShape.name, rowsAxis: 0 };
  });
  pruneToOutputs(model, original);
  return fetches;
}

/**
 * A convolution's input patches as matrices, in onnxruntime: a Conv with the layer's own pads,
 * strides, dilations and groups and one-hot kernels (output channel g·K + d copies patch element d
 * of group g) gives [N, group·K, …spatial]; reshaped to X [group, K, rows] (rows = N · output
 * positions) and its transpose, so that X·Xᵀ is each group's K × K sum. Shape(X) holds the rows.
 */
function patchMatrix(input: Value, k: number, patches: ConvPatches, add: (opType: string, inputs: Value[], attributes?: Record<string, AttributeValue>) => Value, constant: (name: string, tensor: Tensor) => Value): { x: Value; xt: Value; rows: Value } {
  const { group, channelsPerGroup, kernelShape, attributes } = patches;
  const oneHot = new Float32Array(group * k * k);
  for (let o = 0; o < group * k; o++) oneHot[o * k + (o % k)] = 1;
  const kernel = constant('patch_kernel', DenseTensor.fromTyped(DataType.FLOAT, [group * k, channelsPerGroup, ...kernelShape], oneHot));
  const columns = add('Conv', [input, kernel], { ...attributes, group: attr.int(group), kernel_shape: attr.ints(kernelShape) });
  const split = add('Reshape', [columns, constant('by_group', int64Tensor([4], [0, group, k, -1]))]);
  const byGroup = add('Transpose', [split], { perm: attr.ints([1, 2, 0, 3]) });
  const x = add('Reshape', [byGroup, constant('group_k_rows', int64Tensor([3], [group, k, -1]))]);
  const xt = add('Transpose', [x], { perm: attr.ints([0, 2, 1]) });
  const rows = add('Shape', [x]);
  rows.type = { kind: 'tensor', elemType: DataType.INT64, shape: [3] };
  return { x, xt, rows };
}
