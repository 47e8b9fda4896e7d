import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import { toFloat32, typedData } from '../../ir/tensor/values.js';
import type { Value } from '../../ir/value.js';
import type { QuantizedWeight } from '../../quant/weights.js';
import { roundHalfToEven } from '../../quant/rounding.js';
import type { LayerCalibration } from '../hessians.js';
import { collectInputMeans, type MeanTarget } from '../input-means.js';
import { quantizeBias } from './bias.js';

/**
 * Bias correction (after Nagel et al., "Data-Free Quantization", 2019, §4.2, measured on data):
 * a quantized layer's mean output drifts from the float layer's, and the bias, kept in int32, can
 * take the drift back exactly. Two things move it: rounding the weight (by (W − Ŵ)·E[x]), and
 * rounding the 8-bit input (by Ŵ·(E[x] − E[x̂])). Both are measured on the quantized model itself,
 * at each layer: E[x] of the tensor before its QuantizeLinear, clipped to the range that
 * QuantizeLinear keeps, and E[x̂] of the DequantizeLinear the layer reads. So the correction is
 * local (a layer takes back only its own drift, not the drift it inherits) and one pass over the
 * calibration data corrects every layer. Adding W·E[clip(x)] − Ŵ·E[x̂] to the bias makes the layer's
 * mean output what the float layer gives on the same (clipped) input: of all bias shifts, the one
 * with the least squared error.
 *
 * Clipping is left alone on purpose: a range that entropy or percentile calibration chose to clip
 * loses a few large values, and spreading their mean over every output (PaddleOCR det: cosine
 * 0.963 → 0.916) does more harm than the clipping. The means are per input channel: pixels at a
 * padded border see fewer taps, which they ignore.
 *
 * It matters where a filter's taps nearly cancel: mlsd's first depthwise Conv holds edge filters
 * such as (10.93, −10.68) whose sum, −0.025, is what a flat region sees; per-channel int8 moves
 * that sum by about a tenth, and the model's line offsets fell to cosine 0.94 from weight rounding
 * alone (0.98 with the correction).
 */

/** A layer the rewrite quantized: its float weight and the form that replaced it. */
export interface QuantizedLayer {
  node: Node;
  weight: Tensor;
  quantized: QuantizedWeight;
}

export interface BiasCorrectionOutcome {
  /** Quantized layers it was given (Conv, Gemm, MatMul, ConvTranspose, …). */
  layers: number;
  corrected: number;
  /** Of the corrected, the layers that had no bias and were given one (which grows the file). */
  added: number;
  /** Bit widths of the quantized inputs the corrected layers read (int8: 8 and/or 16); empty for weights-int8. */
  inputBits: number[];
  samples: number;
  /** Quantized layers it does not cover: "Gemm ×3 (inside subgraphs: …)", one entry per op type and reason. */
  uncovered: string[];
}

/** Where a layer reads its 8-bit input: the DequantizeLinear output, and the float tensor before the QuantizeLinear. */
interface LayerInput {
  layer: QuantizedLayer;
  dequantized: Value;
  float: Value;
  inputScale: number;
  /** The float values the QuantizeLinear keeps: [(qmin − z)·s, (qmax − z)·s]. */
  kept: { min: number; max: number };
  /** Bits of the quantized input: 8 or 16. */
  bits: number;
  rank: number;
}

/** Why a quantized layer's bias is left alone, in the words the note uses. */
const REASONS = {
  subgraph: 'inside subgraphs: the means are read from the main graph\'s outputs',
  input: 'an input that is not a per-tensor 8- or 16-bit QuantizeLinear → DequantizeLinear pair',
  bias: 'a bias that is not a float vector of one value per output',
  noInput: 'no data input',
} as const;

/** Why a layer of this op is not one the correction covers: said of the op types the model has, one at a time. */
function opReason({ node, weight }: QuantizedLayer): string {
  if (node.opType === 'MatMul') return 'no bias input';
  if (node.opType === 'ConvTranspose') return 'its taps spread unevenly over the output';
  if (node.opType === 'Conv') return `a weight of rank ${weight.dims.length}, without kernel axes`;
  if (node.opType === 'Gemm') return node.attrInt('transA', 0) ? 'transA: its input channels are not axis 1' : `a weight of rank ${weight.dims.length}`;
  return 'only Conv and Gemm biases are corrected';
}

/** What a correction did, layer by layer: the corrected ones, and the uncovered counted by op type and reason. */
class Tally {
  private readonly counts = new Map<string, number>();
  private corrected = 0;
  private added = 0;
  private readonly bits = new Set<number>();
  constructor(private readonly layers: number) {}
  uncover(opType: string, reason: keyof typeof REASONS | { op: QuantizedLayer }): void {
    const key = `${opType}\u0000${typeof reason === 'string' ? REASONS[reason] : opReason(reason.op)}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  /** One bias moved, or `added` to a layer that had none; `inputBits` of the quantized input the layer reads. */
  correct(added: boolean, inputBits?: number): void {
    this.corrected++;
    if (added) this.added++;
    if (inputBits !== undefined) this.bits.add(inputBits);
  }
  outcome(samples: number): BiasCorrectionOutcome {
    const uncovered = [...this.counts].map(([key, n]) => {
      const [op, reason] = key.split('\u0000') as [string, string];
      return `${op} ×${n} (${reason})`;
    });
    const { layers, corrected, added } = this;
    return { layers, corrected, added, inputBits: [...this.bits].sort((a, b) => a - b), samples, uncovered };
  }
}

/** The integer types an input's QuantizeLinear can write: their range and bits. */
const INTEGER_RANGES: Partial<Record<DataType, [number, number, number]>> = {
  [DataType.UINT8]: [0, 255, 8],
  [DataType.INT8]: [-128, 127, 8],
  [DataType.UINT16]: [0, 65535, 16],
  [DataType.INT16]: [-32768, 32767, 16],
};

/** Measure each layer's input means on the quantized model (main graph) and move its int32 bias. */
export async function correctBiases(model: Model, layers: readonly QuantizedLayer[], calibration: LayerCalibration): Promise<BiasCorrectionOutcome> {
  const tally = new Tally(layers.length);
  const inputs: LayerInput[] = [];
  for (const layer of layers) {
    const { node } = layer;
    if (node.graph !== model.graph) tally.uncover(node.opType, 'subgraph');
    else if (!coveredOp(layer)) tally.uncover(node.opType, { op: layer });
    else {
      const input = layerInput(layer);
      if (input) inputs.push(input);
      else tally.uncover(node.opType, 'input');
    }
  }
  if (inputs.length === 0) return tally.outcome(0);
  const targets = new Map<string, MeanTarget>();
  const keptKey = (i: LayerInput) => `${i.float.name}|${i.kept.min}|${i.kept.max}`;
  for (const i of inputs) {
    targets.set(i.dequantized.name, { value: i.dequantized.name, rank: i.rank });
    targets.set(keptKey(i), { value: i.float.name, rank: i.rank, clip: i.kept, key: keptKey(i) });
  }
  const means = await collectInputMeans(model, [...targets.values()], calibration);
  for (const i of inputs) {
    const shift = meanShift(i.layer.node, i.layer.weight, i.layer.quantized, means.byValue.get(keptKey(i))!, means.byValue.get(i.dequantized.name)!);
    const moved = shift && moveBias(model, i, shift);
    if (moved) tally.correct(moved === 'added', i.bits);
    else tally.uncover(i.layer.node.opType, 'bias');
  }
  return tally.outcome(means.samples);
}

/** A Conv (NCHW…) or Gemm (A without transA) reading a DequantizeLinear of a QuantizeLinear, with a scalar input scale. */
function layerInput(layer: QuantizedLayer): LayerInput | undefined {
  const { node, weight } = layer;
  const conv = node.opType === 'Conv';
  const dequantized = node.input(0);
  const dq = dequantized?.producer();
  const q = dq?.opType === 'DequantizeLinear' ? dq.input(0)?.producer() : undefined;
  const float = q?.opType === 'QuantizeLinear' ? q.input(0) : undefined;
  const scale = dq?.input(1)?.constTensor();
  const zeroPoint = dq?.input(2)?.constTensor();
  if (!dequantized || !float || !scale || scale.size !== 1 || !zeroPoint || zeroPoint.size !== 1) return undefined;
  const range = INTEGER_RANGES[zeroPoint.dtype];
  if (!range) return undefined;
  const [s, z] = [toFloat32(scale)[0]!, Number(typedData(zeroPoint)[0])];
  return { layer, dequantized, float, inputScale: s, kept: { min: (range[0] - z) * s, max: (range[1] - z) * s }, bits: range[2], rank: conv ? weight.dims.length : 2 };
}

/** A Conv with a kernel, or a Gemm reading A without transA: the layers whose input channels are axis 1. */
function coveredOp({ node, weight }: QuantizedLayer): boolean {
  return (node.opType === 'Conv' && weight.dims.length >= 3) || (node.opType === 'Gemm' && weight.dims.length === 2 && !node.attrInt('transA', 0));
}

/**
 * Add `shift` to the layer's int32 bias in place (in units of its scale, s_x · s_w), or give a
 * layer without a bias one that holds the shift. Undefined when the bias is not one it can move.
 */
function moveBias(model: Model, input: LayerInput, shift: Float32Array): 'moved' | 'added' | undefined {
  const { node, quantized } = input.layer;
  const bias = node.input(2);
  if (!bias) {
    node.replaceInput(2, quantizeBias(model, node.graph!, `${node.name || input.dequantized.name}_bias`, DenseTensor.fromTyped(DataType.FLOAT, [shift.length], shift), input.inputScale, quantized.scales));
    return 'added';
  }
  const dq = bias.producer();
  const codes = dq?.opType === 'DequantizeLinear' ? dq.input(0) : undefined;
  const tensor = codes?.initializer;
  const scales = dq?.input(1)?.constTensor();
  if (!codes || !tensor || tensor.dtype !== DataType.INT32 || tensor.size !== shift.length || !scales || codes.uses().length !== 1) return undefined;
  const values = Int32Array.from(typedData(tensor) as Int32Array);
  const s = toFloat32(scales);
  for (let c = 0; c < values.length; c++) values[c] = Math.max(-2147483647, Math.min(2147483647, values[c]! + roundHalfToEven(shift[c]! / s[s.length === 1 ? 0 : c]!)));
  codes.initializer = DenseTensor.fromTyped(DataType.INT32, [...tensor.dims], values);
  return 'moved';
}

/**
 * Per output channel, W·m − Ŵ·m̂: what to add to the bias so that the quantized layer's mean output
 * on inputs of channel means m̂ equals the float layer's on means m (with m̂ = m, the shift rounding
 * the weight alone causes: (W − Ŵ)·m). Ŵ = (q − z)·s is the quantized form the model holds.
 * Conv: weight [O, C/group, k…], output o reads the input channels of its group. Gemm: B is [K, N],
 * or [N, K] with transB.
 */
export function meanShift(node: Node, weight: Tensor, quantized: QuantizedWeight, mean: Float64Array, quantizedMean: Float64Array = mean): Float32Array | undefined {
  const dims = weight.dims;
  const w = toFloat32(weight);
  const { values: q, scales, zeroPoints } = quantized;
  const scaleOf = (o: number) => (scales.length === 1 ? 0 : o);
  const contribution = (index: number, o: number, c: number) => w[index]! * mean[c]! - (q[index]! - zeroPoints[scaleOf(o)]!) * scales[scaleOf(o)]! * quantizedMean[c]!;
  if (node.opType === 'Conv') {
    const [outputs, perGroup] = [dims[0]!, dims[1]!];
    const taps = dims.slice(2).reduce((a, b) => a * b, 1);
    const groups = node.attrInt('group', 1);
    if (mean.length !== perGroup * groups || quantizedMean.length !== mean.length) return undefined;
    const shift = new Float32Array(outputs);
    for (let o = 0; o < outputs; o++) {
      const first = Math.floor(o / (outputs / groups)) * perGroup;
      let sum = 0;
      for (let c = 0; c < perGroup; c++) for (let t = 0; t < taps; t++) sum += contribution((o * perGroup + c) * taps + t, o, first + c);
      shift[o] = sum;
    }
    return shift;
  }
  const transB = node.attrInt('transB', 0) !== 0;
  const [k, n] = transB ? [dims[1]!, dims[0]!] : [dims[0]!, dims[1]!];
  if (mean.length !== k || quantizedMean.length !== k) return undefined;
  const shift = new Float32Array(n);
  for (let o = 0; o < n; o++) {
    let sum = 0;
    for (let i = 0; i < k; i++) sum += contribution(transB ? o * k + i : i * n + o, o, i);
    shift[o] = sum;
  }
  return shift;
}

/**
 * Weight-only int8 keeps float activations and a float bias: each Conv and Gemm bias takes back
 * (W − Ŵ)·E[x], with E[x] the layer's input means measured on the weight-quantized model (so a
 * layer takes back only its own drift).
 */
export async function correctFloatBiases(model: Model, layers: readonly QuantizedLayer[], calibration: LayerCalibration): Promise<BiasCorrectionOutcome> {
  const tally = new Tally(layers.length);
  const covered: { layer: QuantizedLayer; input: Value; rank: number }[] = [];
  for (const layer of layers) {
    const { node, weight } = layer;
    const input = node.input(0);
    const bias = node.input(2);
    const biasOk = !bias || (bias.constTensor()?.dtype === DataType.FLOAT && bias.constTensor()!.size === outputsOf(layer));
    if (node.graph !== model.graph) tally.uncover(node.opType, 'subgraph');
    else if (!coveredOp(layer)) tally.uncover(node.opType, { op: layer });
    else if (!input) tally.uncover(node.opType, 'noInput');
    else if (!biasOk) tally.uncover(node.opType, 'bias');
    else covered.push({ layer, input, rank: node.opType === 'Conv' ? weight.dims.length : 2 });
  }
  if (covered.length === 0) return tally.outcome(0);
  const targets = new Map<string, MeanTarget>(covered.map((c) => [c.input.name, { value: c.input.name, rank: c.rank }]));
  const means = await collectInputMeans(model, [...targets.values()], calibration);
  for (const { layer, input } of covered) {
    const shift = meanShift(layer.node, layer.weight, layer.quantized, means.byValue.get(input.name)!);
    if (!shift) {
      tally.uncover(layer.node.opType, 'bias');
      continue;
    }
    const { node } = layer;
    const bias = node.input(2);
    const values = bias ? Float32Array.from(toFloat32(bias.constTensor()!)) : new Float32Array(shift.length);
    for (let o = 0; o < values.length; o++) values[o]! += shift[o]!;
    const dims = bias ? [...bias.constTensor()!.dims] : [shift.length];
    // A fresh initializer: the old bias may be shared by a node this correction does not concern.
    node.replaceInput(2, node.graph!.addInitializer(model.freshName(`${bias?.name ?? `${node.name || input.name}_bias`}_corrected`), DenseTensor.fromTyped(DataType.FLOAT, dims, values)));
    if (bias && bias.uses().length === 0 && bias.initializer) node.graph!.removeInitializer(bias);
    tally.correct(!bias);
  }
  return tally.outcome(means.samples);
}

/** Output channels of a layer's weight: a Conv's O, a Gemm's N. */
function outputsOf({ node, weight }: QuantizedLayer): number {
  if (node.opType === 'Conv') return weight.dims[0]!;
  return node.attrInt('transB', 0) ? weight.dims[0]! : weight.dims[1]!;
}
