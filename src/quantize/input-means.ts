import { LowbitError } from '../errors.js';
import { attr } from '../ir/attribute.js';
import { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import { int64Tensor } from '../ir/tensor/values.js';
import { isTensorType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { decodeModel } from '../serde/decode.js';
import { encodeModel } from '../serde/encode.js';
import type { LayerCalibration } from './hessians.js';
import { mainGraphValues, overCalibration, pruneToOutputs } from './statistics-model.js';

/** A layer input whose mean per channel is wanted: axis 1 of its `rank` dimensions (a Conv's NCHW input, a Gemm's A). */
export interface MeanTarget {
  value: string;
  rank: number;
  /** Clip the values to this range first (the range a QuantizeLinear keeps). */
  clip?: { min: number; max: number };
  /** Where the result goes in `byValue` (default: the value's name). */
  key?: string;
}

export interface InputMeans {
  /** Per target value, the mean of each channel (axis 1) over every other axis and every sample, float64. */
  byValue: Map<string, Float64Array>;
  samples: number;
}

/** ReduceMean takes its axes as an input from opset 18, as an attribute before. */
const AXES_AS_INPUT_OPSET = 18;

/**
 * The mean of each channel of the given values over the calibration samples, from onnxruntime runs
 * of a copy of the float model whose only outputs are ReduceMean(value) over all axes but 1: each
 * run returns C floats per target, never the activations themselves, so memory stays flat. The copy
 * keeps only what the targets depend on. Samples count equally (they share one shape in practice).
 */
export async function collectInputMeans(model: Model, targets: readonly MeanTarget[], calibration: LayerCalibration): Promise<InputMeans> {
  const copy = decodeModel(encodeModel(model));
  const fetches = addMeanOutputs(copy, targets);
  const runner = await calibration.createRunner(encodeModel(copy));
  const sums = new Map<string, Float64Array>();
  try {
    const samples = await overCalibration(calibration, async (feeds) => {
      const out = await runner.run(feeds, fetches.map((f) => f.output));
      for (const f of fetches) {
        const mean = out[f.output]!.data as Float32Array;
        let sum = sums.get(f.value);
        if (!sum) sums.set(f.value, (sum = new Float64Array(mean.length)));
        for (let c = 0; c < mean.length; c++) sum[c]! += mean[c]!;
      }
    });
    // The pass is over, which a source of unknown size cannot say otherwise: `total` stays
    // absent for it, as in the reports before.
    calibration.onProgress?.({ done: samples, ...(calibration.source.size !== undefined ? { total: samples } : {}), final: true });
    for (const sum of sums.values()) for (let c = 0; c < sum.length; c++) sum[c]! /= Math.max(1, samples);
    return { byValue: sums, samples };
  } finally {
    await runner.dispose();
  }
}

/** Append Cast(float32) → ReduceMean(all axes but 1, keepdims 0) per target; these become the only outputs. */
function addMeanOutputs(model: Model, targets: readonly MeanTarget[]): { value: string; output: string }[] {
  const graph = model.graph;
  const byName = mainGraphValues(model);
  const original = graph.outputs;
  graph.outputs = [];
  const axesAsInput = (model.opset() ?? 0) >= AXES_AS_INPUT_OPSET;
  const fetches = targets.map((t) => {
    const value = byName.get(t.value);
    if (!value) throw new LowbitError(`cannot compute the mean of '${t.value}': no such value in the main graph`, { code: 'unknown-value' });
    const add = (opType: string, inputs: Value[], attributes = {}) => {
      const node = new Node({ opType, name: model.freshName(`lowbit_mean_${opType}`), inputs, outputs: [model.freshName(`${t.value}_mean_${opType}`)], attributes });
      graph.appendNode(node);
      return node.output();
    };
    const elemType = isTensorType(value.type) ? value.type.elemType : DataType.FLOAT;
    const cast = elemType === DataType.FLOAT ? value : add('Cast', [value], { to: attr.int(DataType.FLOAT) });
    const bound = (name: string, v: number) => graph.addInitializer(model.freshName(`${t.value}_mean_${name}`), DenseTensor.fromTyped(DataType.FLOAT, [], new Float32Array([v])));
    const float = t.clip ? add('Clip', [cast, bound('min', t.clip.min), bound('max', t.clip.max)]) : cast;
    const axes = [0, ...Array.from({ length: t.rank - 2 }, (_, i) => i + 2)];
    const mean = axesAsInput
      ? add('ReduceMean', [float, graph.addInitializer(model.freshName(`${t.value}_mean_axes`), int64Tensor([axes.length], axes))], { keepdims: attr.int(0) })
      : add('ReduceMean', [float], { axes: attr.ints(axes), keepdims: attr.int(0) });
    mean.type = { kind: 'tensor', elemType: DataType.FLOAT };
    graph.outputs.push(mean);
    return { value: t.key ?? t.value, output: mean.name };
  });
  pruneToOutputs(model, original);
  return fetches;
}
