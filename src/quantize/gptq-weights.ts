import { planGroups } from '../calib/groups.js';
import type { Diagnostic } from '../diagnostics.js';
import { DataType } from '../ir/dtype.js';
import type { AttributeValue } from '../ir/attribute.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { toFloat32 } from '../ir/tensor/values.js';
import type { Value } from '../ir/value.js';
import { outputChannelAxis } from '../inspect/weights.js';
import type { GptqOptions } from '../quant/gptq-core.js';
import { roundInt8Gptq } from '../quant/gptq-int8.js';
import { quantRange } from '../quant/qtypes.js';
import { quantizeWeight, type QuantizedWeight } from '../quant/weights.js';
import { DEFAULT_MAX_HESSIAN_BYTES, collectHessians, type HessianTarget, type LayerCalibration } from './hessians.js';
import type { WeightStore } from './weight-store.js';

export interface GptqRoundingOutcome {
  /** Float weights of the readers given; those GPTQ did not round, round to nearest. */
  weights: number;
  /** Weights whose codes GPTQ chose. */
  rounded: number;
  samples: number;
  /** Passes over the calibration data in this call (0 when every weight was rounded by an earlier call). */
  passes: number;
  notes: string[];
  warnings: Diagnostic[];
}

/**
 * One weight GPTQ rounds, seen as K inputs × N outputs (y = x·W): a Conv's kernel per group
 * (K = channels per group · kernel size, N = output channels per group), a MatMul's [K, N], a
 * Gemm's B (transposed when transB).
 */
interface Candidate {
  node: Node;
  weight: Value;
  axis: number | undefined;
  target: HessianTarget;
  groups: number;
  /** Index in the weight tensor of element (group g, input i, output c). */
  at: (g: number, i: number, c: number) => number;
  n: number;
}

/**
 * Results survive between calls with the same calibration object: `--target-cosine` quantizes
 * the model several times, leaving a few more nodes in float each time, and the weights of the
 * rest need not be rounded again (their Hessians come from the float model either way).
 */
const memo = new WeakMap<LayerCalibration, { weights: Map<string, QuantizedWeight>; samples: number }>();

/** A node whose constant weight (input `weightIndex`) the mode will quantize. */
export interface WeightReader {
  node: Node;
  weightIndex: number;
}

/**
 * Round the 8-bit weights of the given readers' Conv, MatMul and Gemm nodes (main graph) with GPTQ
 * (quant/gptq-int8.ts) instead of to nearest; the codes go into the store, which keeps its grid
 * (scales, zero points) and so the model's form. Each layer's input statistics H = Σ xᵀx come
 * from onnxruntime runs of the float model over the calibration data (for a convolution, of its
 * input patches: hessians.ts), in groups whose float64 matrices fit the memory budget, one pass
 * over the data each. Layers are measured on the float model, not with the layers before them
 * quantized: one pass instead of one per layer, and the activations' own quantization noise is
 * not something weights can compensate anyway.
 */
export async function roundWeightsWithGptq(model: Model, readers: Iterable<WeightReader>, store: WeightStore, calibration: LayerCalibration, options: GptqOptions = {}): Promise<GptqRoundingOutcome> {
  const outcome: GptqRoundingOutcome = { weights: 0, rounded: 0, samples: 0, passes: 0, notes: [], warnings: [] };
  const kept: string[] = [];
  const candidates: Candidate[] = [];
  let inSubgraphs = 0;
  for (const { node, weightIndex } of readers) {
    if (node.graph !== model.graph) {
      inSubgraphs++;
      outcome.weights++;
      continue;
    }
    const weight = node.input(weightIndex);
    const tensor = weight?.constTensor();
    if (!weight || !tensor || (tensor.dtype !== DataType.FLOAT && tensor.dtype !== DataType.FLOAT16)) continue;
    outcome.weights++;
    if (weight.uses().length !== 1) {
      kept.push(`'${node.name}' (its weight is shared)`);
      continue;
    }
    const candidate = candidateOf(node, weight, store.settings.perTensor);
    if (candidate) candidates.push(candidate);
    else kept.push(`'${node.name}' (${node.opType}: GPTQ rounding covers Conv, MatMul with a [K, N] weight and Gemm without transA)`);
  }
  if (inSubgraphs > 0) kept.push(`${inSubgraphs} node(s) inside subgraphs (GPTQ measures main-graph layers only)`);
  if (kept.length > 0) outcome.notes.push(`GPTQ weight rounding: round-to-nearest kept for ${kept.join(', ')}.`);

  const remembered = memo.get(calibration) ?? { weights: new Map<string, QuantizedWeight>(), samples: 0 };
  memo.set(calibration, remembered);
  const cache = remembered.weights;
  const settings = store.settings;
  const keyOf = (c: Candidate) => `${c.weight.name}|${c.weight.constTensor()!.dims.join('x')}|${c.axis}|${settings.dtype}|${settings.symmetric}|${settings.reduceRange}|${options.damp ?? ''}|${options.actOrder ?? ''}`;
  const todo = candidates.filter((c) => !cache.has(keyOf(c)));
  const sizes = todo.map((c) => 8 * c.groups * c.target.k * c.target.k);
  let done = 0;
  for (const group of planGroups(sizes, calibration.maxHessianBytes ?? DEFAULT_MAX_HESSIAN_BYTES)) {
    const members = group.map((i) => todo[i]!);
    const hessians = await collectHessians(model, members.map((c) => c.target), calibration);
    remembered.samples = hessians.samples;
    outcome.passes++;
    for (const c of members) {
      cache.set(keyOf(c), roundOne(c, hessians.byValue.get(c.target.key!)!, store, options, outcome));
      calibration.onLayer?.(++done, todo.length);
    }
  }
  outcome.samples = remembered.samples;
  for (const c of candidates) {
    store.setRounding(c.weight, cache.get(keyOf(c))!);
    outcome.rounded++;
  }
  return outcome;
}

/** What to tell the user about a rounding pass. */
export function gptqNotes(rounding: GptqRoundingOutcome): string[] {
  const { weights, rounded } = rounding;
  const rest = weights - rounded;
  const summary =
    rounded === 0
      ? weights === 0
        ? 'GPTQ rounded no weights: no quantized node has a float weight.'
        : `GPTQ rounded no weights: none of the ${weights} quantized weight(s) is one it covers; all round to nearest.`
      : `GPTQ rounded ${rounded} weight(s) using their inputs on ${rounding.samples} calibration sample(s)${rest > 0 ? `; the other ${rest} round to nearest` : ': every quantized weight'}.`;
  return [summary, ...rounding.notes];
}

function candidateOf(node: Node, weight: Value, perTensor: boolean): Candidate | undefined {
  const dims = weight.constTensor()!.dims;
  const x = node.input(0);
  if (!x) return undefined;
  const axis = perTensor ? undefined : outputChannelAxis(node, dims.length);
  const key = weight.name;
  if (node.opType === 'Conv' && dims.length >= 3) {
    const groups = node.attrInt('group', 1);
    const [outputs, channelsPerGroup] = [dims[0]!, dims[1]!];
    const kernelShape = dims.slice(2);
    const k = channelsPerGroup * kernelShape.reduce((a, b) => a * b, 1);
    const n = outputs / groups;
    const attributes: Record<string, AttributeValue> = {};
    for (const name of ['pads', 'strides', 'dilations', 'auto_pad']) {
      const a = node.getAttr(name);
      if (a) attributes[name] = a;
    }
    return { node, weight, axis, groups, n, target: { value: x.name, k, key, patches: { group: groups, channelsPerGroup, kernelShape, attributes } }, at: (g, i, c) => (g * n + c) * k + i };
  }
  if (node.opType === 'MatMul' && dims.length === 2 && node.input(1) === weight) {
    const [k, n] = [dims[0]!, dims[1]!];
    return { node, weight, axis, groups: 1, n, target: { value: x.name, k, key }, at: (_, i, c) => i * n + c };
  }
  if (node.opType === 'Gemm' && dims.length === 2 && node.input(1) === weight && !node.attrInt('transA', 0)) {
    const transB = node.attrInt('transB', 0) !== 0;
    const [k, n] = transB ? [dims[1]!, dims[0]!] : [dims[0]!, dims[1]!];
    return { node, weight, axis, groups: 1, n, target: { value: x.name, k, key }, at: transB ? (_, i, c) => c * k + i : (_, i, c) => i * n + c };
  }
  return undefined;
}

/** GPTQ for one weight, group by group, on the grid round-to-nearest would use: its quantized form with GPTQ's codes. */
function roundOne(c: Candidate, hessian: Float64Array, store: WeightStore, options: GptqOptions, outcome: GptqRoundingOutcome): QuantizedWeight {
  const tensor = c.weight.constTensor()!;
  const values = toFloat32(tensor);
  const { dtype, symmetric, reduceRange } = store.settings;
  const nearest = quantizeWeight(values, [...tensor.dims], { dtype, symmetric, reduceRange, ...(c.axis !== undefined ? { axis: c.axis } : {}) });
  const { qmin, qmax } = quantRange(dtype, { symmetric, reduceRange });
  const { k } = c.target;
  const codes = dtype === DataType.INT8 ? new Int8Array(values.length) : new Uint8Array(values.length);
  const w = new Float64Array(k * c.n);
  const perTensor = nearest.scales.length === 1;
  for (let g = 0; g < c.groups; g++) {
    for (let i = 0; i < k; i++) for (let o = 0; o < c.n; o++) w[i * c.n + o] = values[c.at(g, i, o)]!;
    // Output channel o of group g is channel g·n + o of the whole weight, whose scale is that one.
    const scales = perTensor ? nearest.scales : nearest.scales.subarray(g * c.n, (g + 1) * c.n);
    const zeroPoints = perTensor ? nearest.zeroPoints : nearest.zeroPoints.subarray(g * c.n, (g + 1) * c.n);
    const result = roundInt8Gptq({ w, k, n: c.n, scales, zeroPoints, qmin, qmax }, hessian.subarray(g * k * k, (g + 1) * k * k), options);
    for (let i = 0; i < k; i++) for (let o = 0; o < c.n; o++) codes[c.at(g, i, o)] = result.codes[i * c.n + o]!;
    if (result.damp !== (options.damp ?? 0.01)) {
      outcome.warnings.push({ code: 'gptq-damp-raised', severity: 'warning', node: c.node.name, opType: c.node.opType, reason: `the input statistics of '${c.node.name}' needed dampening ${result.damp} to be positive definite` });
    }
  }
  return { ...nearest, values: codes };
}
