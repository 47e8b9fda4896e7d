import type { Model } from '../ir/model.js';
import type { Value } from '../ir/value.js';
import type { Runner } from '../runner/runner.js';
import type { SampleSource } from '../data/samples.js';
import { decodeModel } from '../serde/decode.js';
import { encodeModel } from '../serde/encode.js';
import { sortGraph } from '../passes/topo-sort.js';
import { inferTypes } from '../passes/infer-types/infer-types.js';
import { LowbitError } from '../errors.js';
import { comparable, groupByBytes, hideShape, pairValues, symbolSizes, type ValuePair } from './value-pairs.js';
import { FidelityAccumulator, type FidelityMetrics } from './metrics.js';
import { asNumbers } from './verify.js';
import { firstSample } from './first-sample.js';
import { addedSqnrDb, noiseRatio, noiseToSqnrDb, rankLayers, suggestExclude, DEFAULT_MARGIN_DB, type ExcludeSuggestion, type LayerFidelity } from './layer-ranking.js';

/** Makes a runner for a model given as bytes: the caller picks the runtime (onnxruntime-node, -web). */
export type CreateRunner = (model: Uint8Array) => Promise<Runner>;

export interface PerLayerOptions {
  /**
   * Bytes of intermediate values one run may return, both models together. Values are exposed in
   * groups under this, one pair of sessions per group: ISNet at 1024×1024 has gigabytes of
   * activations, which cannot all be returned at once.
   */
  groupBytes?: number;
  /** Compare on at most this many samples (default: all the source gives). */
  samples?: number;
  /** See suggestExclude. */
  marginDb?: number;
  onProgress?: (doneGroups: number, groups: number) => void;
}

export interface PerLayerResult {
  samples: number;
  /** Node outputs compared: float values present in both models under the same name. */
  compared: number;
  /** Session pairs it took (more than one when the values did not fit in one run). */
  groups: number;
  /** Worst first (see rankLayers). */
  layers: LayerFidelity[];
  suggestion: ExcludeSuggestion;
}

export const DEFAULT_GROUP_BYTES = 2 ** 30;

/**
 * Compare every intermediate value the two models share by name (quantization keeps the float
 * model's value names), by exposing them as extra outputs, running both models on the same samples
 * and measuring SQNR per node output. Ranks the layers by the noise each adds and names the
 * `--exclude` list that would leave the worst of them in float. The given models are not changed.
 */
export async function comparePerLayer(floatModel: Model, quantizedModel: Model, source: SampleSource, createRunner: CreateRunner, options: PerLayerOptions = {}): Promise<PerLayerResult> {
  const float = copyForExposure(floatModel);
  const quantized = copyForExposure(quantizedModel);
  const first = await firstSample(source);
  const pairs = pairValues(float, quantized, symbolSizes(float, first));
  if (pairs.length === 0) {
    throw new LowbitError('the two models share no intermediate float values by name; per-layer comparison needs a quantized model made from this float model', { code: 'no-shared-values' });
  }
  for (const p of pairs) hideShape(p.float, p.quantized);
  const groups = groupByBytes(pairs, options.groupBytes ?? DEFAULT_GROUP_BYTES);
  const metrics = new Map<string, FidelityMetrics>();
  let samples = 0;
  for (const [index, group] of groups.entries()) {
    samples = await compareGroup(group, float, quantized, source, createRunner, options.samples, metrics);
    options.onProgress?.(index + 1, groups.length);
  }
  const layers = describeLayers(float, pairs, metrics);
  return { samples, compared: pairs.length, groups: groups.length, layers: rankLayers(layers), suggestion: suggestExclude(layers, options.marginDb ?? DEFAULT_MARGIN_DB) };
}

/** A private copy in topological order with every value typed, so outputs can be added to it. */
function copyForExposure(model: Model): Model {
  const copy = decodeModel(encodeModel(model));
  sortGraph(copy.graph);
  inferTypes(copy);
  return copy;
}

/** Run both models with one group exposed, over the samples; returns how many samples ran. */
async function compareGroup(group: ValuePair[], float: Model, quantized: Model, source: SampleSource, createRunner: CreateRunner, limit: number | undefined, metrics: Map<string, FidelityMetrics>): Promise<number> {
  const names = group.map((p) => p.float.name);
  const floatRunner = await createRunner(withOutputs(float, group.map((p) => p.float)));
  let quantizedRunner: Runner | undefined;
  try {
    quantizedRunner = await createRunner(withOutputs(quantized, group.map((p) => p.quantized)));
    const accumulators = new Map(names.map((n) => [n, new FidelityAccumulator()]));
    let samples = 0;
    for await (const feeds of source.samples()) {
      if (limit !== undefined && samples >= limit) break;
      const reference = await floatRunner.run(feeds, names);
      const output = await quantizedRunner.run(feeds, names);
      for (const [name, acc] of accumulators) acc.add(asNumbers(reference[name]!), asNumbers(output[name]!));
      samples++;
    }
    for (const [name, acc] of accumulators) metrics.set(name, acc.result());
    return samples;
  } finally {
    await Promise.all([floatRunner.dispose(), quantizedRunner?.dispose()]);
  }
}

/** The model's bytes with `values` added to its outputs; the model itself is left as it was. */
function withOutputs(model: Model, values: Value[]): Uint8Array {
  const outputs = model.graph.outputs;
  const saved = [...outputs];
  for (const v of values) if (!outputs.includes(v)) outputs.push(v);
  try {
    return encodeModel(model);
  } finally {
    outputs.length = 0;
    outputs.push(...saved);
  }
}

/**
 * Each compared value with its SQNR and the noise its node adds over its noisiest input. Values not
 * compared pass on the noise of their inputs (float ones) or carry none (shapes, indices, constants).
 */
function describeLayers(float: Model, pairs: ValuePair[], metrics: Map<string, FidelityMetrics>): LayerFidelity[] {
  const compared = new Map(pairs.map((p) => [p.float, metrics.get(p.float.name)!]));
  const noise = new Map<Value, number>();
  const noiseOf = (v: Value | null) => (v ? (noise.get(v) ?? 0) : 0);
  const layers: LayerFidelity[] = [];
  const byValue = new Map(pairs.map((p) => [p.float, p]));
  for (const node of float.graph.nodes) {
    const inputNoise = Math.max(0, ...node.inputs.map(noiseOf));
    for (const out of node.outputs) {
      if (!out) continue;
      const m = compared.get(out);
      if (!m) {
        if (comparable(out)) noise.set(out, inputNoise);
        continue;
      }
      const own = noiseRatio(m.sqnrDb);
      noise.set(out, own);
      const pair = byValue.get(out)!;
      layers.push({
        value: out.name,
        node: node.name,
        opType: node.opType,
        order: pair.order,
        quantized: pair.changed,
        sqnrDb: m.sqnrDb,
        inputSqnrDb: noiseToSqnrDb(inputNoise),
        addedSqnrDb: addedSqnrDb(own, inputNoise),
        cosine: m.cosine,
        maxAbsError: m.maxAbsError,
      });
    }
  }
  return layers;
}
