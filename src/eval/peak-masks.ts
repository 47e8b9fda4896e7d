import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { isTensorType } from '../ir/types.js';
import { encodeModel } from '../serde/encode.js';
import { decodeModel } from '../serde/decode.js';
import type { Value } from '../ir/value.js';
import { inferTypes } from '../passes/infer-types/infer-types.js';
import type { PeakGrid } from './peak-match.js';
import { COMPARISONS, comparedValues } from '../quantize/static/plan.js';
import type { OutputFidelity, PeakMapFidelity } from './verify.js';

/**
 * Outputs that are peak masks: a map's local maxima kept and the rest zeroed, as mlsd's
 * scores = heat · (heat == MaxPool(heat)). Such an output's cosine against float asks whether every
 * peak stayed on the same pixel, which noise far below int8's already upsets (mlsd's scores lose
 * 0.015 in fp16 alone). The map the peaks are taken from says whether the quantized model still
 * sees the same thing; verification reports it beside the mask.
 *
 * A main-graph output counts as a mask when the node that makes it reads both the result of a
 * comparison (through Casts) and a value compared with values derived from itself (an operand's
 * source in comparedValues) that is not an output itself. Returns mask output name → map name.
 */
export function peakMaskMaps(model: Model): Map<string, string> {
  const graph = model.graph;
  const compared = comparedValues(graph);
  const maps = new Map<string, string>();
  for (const output of graph.outputs) {
    const producer = output.producer();
    if (!producer || !producer.inputs.some((v) => v && isComparisonResult(v))) continue;
    // comparedValues holds only values not known to be other than float32.
    const map = producer.inputs.find((v) => v && compared.has(v) && !graph.outputs.includes(v));
    if (map) maps.set(output.name, map.name);
  }
  return maps;
}

/** A comparison's boolean output, or that cast to numbers. */
function isComparisonResult(value: Value): boolean {
  return comparisonOf(value) !== undefined;
}

/** The comparison node whose result `value` is, through Casts. */
function comparisonOf(value: Value): Node | undefined {
  const producer = value.producer();
  if (!producer || producer.domain !== '') return undefined;
  if (COMPARISONS.has(producer.opType)) return producer;
  return producer.opType === 'Cast' && producer.inputs[0] != null ? comparisonOf(producer.inputs[0]) : undefined;
}

/** Ops that change a tensor's shape but not the order of its elements. */
const ORDER_KEEPING = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);

/** Back from `value` through ops that keep the element order. */
function beforeReshapes(value: Value): Value {
  const producer = value.producer();
  if (!producer || producer.domain !== '' || !ORDER_KEEPING.has(producer.opType) || !producer.inputs[0]) return value;
  return beforeReshapes(producer.inputs[0]);
}

/**
 * For each peak mask of `maps` (peakMaskMaps), the height and width of the map its peaks are taken
 * from, so that a peak can be matched with its neighbours (eval/peak-match.ts). Found where the
 * mask compares a map X with MaxPool(X) (2-D pooling, X shaped [N, C, H, W] with static H and W) and
 * the map, both operands and X are one another's reshapes (the element order is X's); masks of
 * other forms get no grid, and no tolerant figure. Shapes come from type inference on a copy, so
 * `model` is left as it was.
 */
export function peakMaskGrids(model: Model, maps: ReadonlyMap<string, string>): Map<string, PeakGrid> {
  const grids = new Map<string, PeakGrid>();
  if (maps.size === 0) return grids;
  let copy: Model;
  try {
    copy = decodeModel(encodeModel(model));
    inferTypes(copy);
  } catch {
    // A model that cannot be copied in memory (external data that is not at hand, say): its masks
    // are compared without the tolerant figure, as masks of other forms are.
    return grids;
  }
  const graph = copy.graph;
  for (const [maskName, mapName] of maps) {
    const producer = graph.outputs.find((o) => o.name === maskName)?.producer();
    const comparison = producer?.inputs.map((v) => v && comparisonOf(v)).find((c) => c);
    const map = producer?.inputs.find((v) => v?.name === mapName);
    if (!comparison || !map) continue;
    const operands = comparison.inputs.filter((v): v is Value => Boolean(v)).map(beforeReshapes);
    const pooled = operands.map((v) => v.producer()).find((p) => p?.domain === '' && p.opType === 'MaxPool');
    const source = pooled?.inputs[0] && beforeReshapes(pooled.inputs[0]);
    if (!source || operands.length !== 2 || !operands.includes(source) || beforeReshapes(map) !== source) continue;
    const shape = isTensorType(source.type) ? source.type.shape : undefined;
    const [height, width] = shape?.length === 4 ? shape.slice(2) : [];
    if (typeof height === 'number' && typeof width === 'number' && height > 0 && width > 0) grids.set(maskName, { height, width });
  }
  return grids;
}

/**
 * The model's bytes with the maps as extra outputs, for a runner that reads the maps only, beside
 * one of the model as it is (withMapOutputs, eval/map-runner.ts: the extra outputs can change what
 * onnxruntime computes for the others); the model is left as it was. Undefined when the model lacks a map's value (quantized elsewhere, say): the masks
 * are then compared as they are, without their maps' figures. Maps are main-graph values
 * (peakMaskMaps), so carrying them out is appending them to the graph's outputs.
 */
export function encodeWithMaps(model: Model, maps: ReadonlyMap<string, string>): Uint8Array | undefined {
  const graph = model.graph;
  const wanted = new Set(maps.values());
  const found = new Map<string, Value>();
  for (const node of graph.nodes) for (const o of node.outputs) if (o && wanted.has(o.name)) found.set(o.name, o);
  if (found.size < wanted.size) return undefined;
  const outputs = graph.outputs.length;
  graph.outputs.push(...[...found.values()].filter((v) => !graph.outputs.includes(v)));
  try {
    return encodeModel(model);
  } finally {
    graph.outputs.length = outputs;
  }
}

/**
 * The outputs were compared with the maps as extra outputs: move each map's figures onto its mask
 * as `peakMap`, and drop the maps from the list (they are not the model's outputs).
 */
export function attachPeakMaps(outputs: readonly OutputFidelity[], maps: ReadonlyMap<string, string>): OutputFidelity[] {
  const byName = new Map(outputs.map((o) => [o.name, o]));
  const mapNames = new Set(maps.values());
  const attached: OutputFidelity[] = [];
  for (const o of outputs) {
    if (mapNames.has(o.name) && !maps.has(o.name)) continue;
    const map = maps.get(o.name);
    const figures = map !== undefined ? byName.get(map) : undefined;
    const peakMap: PeakMapFidelity | undefined = figures && { name: figures.name, cosine: figures.cosine, sqnrDb: figures.sqnrDb };
    attached.push(peakMap ? { ...o, peakMap } : o);
  }
  return attached;
}

/** The text after a mask's figures: what its map's cosine and its peaks matched within a pixel say. */
export function peakMapText(o: OutputFidelity): string {
  const map = o.peakMap;
  const parts: string[] = [];
  if (map) parts.push(`the local maxima of '${map.name}', whose cosine is ${map.cosine.toFixed(5)}${map.cosine >= 0.98 && o.cosine < map.cosine ? ': the map is close, its peaks moved' : ''}`);
  if (o.peakMatchCosine !== undefined) parts.push(`peaks matched within a pixel: cosine ${o.peakMatchCosine.toFixed(5)}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}
