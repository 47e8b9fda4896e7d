import type { Diagnostic } from '../../diagnostics.js';
import { memoizeCalibration } from '../memoize-calibration.js';
import type { Model } from '../../ir/model.js';
import { UsageError } from '../../errors.js';
import type { QuantizeOptions } from '../options.js';
import { quantize, type QuantizeResult } from '../quantize.js';
import type { Value } from '../../ir/value.js';
import { COMPARISONS } from './plan.js';

/** Cosine of each model output against float, over the measuring samples. */
export type MeasureOutputs = (quantized: Model) => Promise<Record<string, number>>;

/** Op types whose int8 form the search may give back to float: the weighted ones, where nearly all the loss is made. */
const CANDIDATE_OPS = new Set(['Conv', 'MatMul', 'Gemm']);

export interface TargetCosineOptions {
  /** The lowest output cosine against float to reach, on the measuring samples (0 < target ≤ 1). */
  target: number;
  measure: MeasureOutputs;
  /** Keep at most this many nodes in float (default: a quarter of the candidates, so int8 still pays). */
  maxKept?: number;
  /**
   * The quantized model's latency over the float model's. When given, the search makes sure the
   * result is faster than float: kept nodes that bought the least go back to int8 until it is.
   */
  latencyRatio?: (quantized: Model) => Promise<number>;
  onProgress?: (line: string) => void;
}

export interface KeptNode {
  node: string;
  opType: string;
  /** The lowest output cosine with only this node quantized: what it costs on its own. */
  aloneCosine: number;
}

export interface TargetCosineResult {
  result: QuantizeResult;
  /** Nodes left in float by the search, in the order they were given back (worst first). */
  kept: KeptNode[];
  /** Lowest output cosine of the fully quantized model, before the search. */
  startCosine: number;
  /**
   * Lowest cosine of the outputs the search steers by (see steppedOutputs; a peak mask's map steers
   * in its place) in the returned model; every output's in `outputs`, and each map's under its name.
   */
  cosine: number;
  outputs: Record<string, number>;
  reached: boolean;
  /** Latency over float of the returned model, when the search was given a way to time it. */
  latencyRatio?: number;
}

/**
 * Static int8 with a fidelity floor: quantize, measure, and while the lowest output cosine against
 * float is under `target`, give back to float the weighted node that costs most on its own. The
 * cost of a node is measured by quantizing it alone (everything else float), which finds layers
 * that no per-layer SQNR shows: a depthwise Conv whose large taps cancel before a Relu6 (mlsd)
 * loses little in SQNR but wrecks what survives the clip. `load` returns a fresh float model each
 * time; calibration is asked once per tensor.
 */
export async function quantizeToTarget(load: () => Model, options: QuantizeOptions, search: TargetCosineOptions): Promise<TargetCosineResult> {
  if (options.mode !== 'int8') throw new UsageError(`a target cosine is for --mode int8, not ${options.mode}`, { code: 'bad-option' });
  if (!(search.target > 0 && search.target <= 1)) throw new UsageError(`the target cosine must be in (0, 1], got ${search.target}`, { code: 'bad-option' });
  const say = search.onProgress ?? (() => {});
  const base = { ...options, ...(options.calibrate ? { calibrate: memoizeCalibration(options.calibrate) } : {}) };
  const userExclude = options.exclude ?? [];
  const floatModel = load();
  const stepped = steppedOutputs(floatModel);
  const outputNames = new Set(floatModel.graph.outputs.map((v) => v.name));
  const run = async (exclude: string[]) => {
    const model = load();
    const result = await quantize(model, { ...base, exclude: [...userExclude, ...exclude] });
    const outputs = await search.measure(result.model);
    const steering = Object.entries(outputs).filter(([name]) => !stepped.has(name));
    const values = (steering.length ? steering : Object.entries(outputs)).map(([, c]) => c);
    // Lowest cosine decides whether the target is met; the summed shortfall ranks and accepts
    // steps, since one output alone (a peak mask) can move erratically.
    return { result, outputs, cosine: Math.min(...values), shortfall: values.reduce((s, c) => s + (1 - c), 0) };
  };

  const first = await run([]);
  if (stepped.size) {
    const maps = Object.keys(first.outputs).filter((name) => !stepped.has(name) && !outputNames.has(name));
    say(`target cosine: steering by the outputs that change smoothly; ${[...stepped].join(', ')} pass(es) through a comparison and jump with any change, so they are reported, not steered by${maps.length ? `; the map(s) whose peaks they keep (${maps.join(', ')}) steer instead` : ''}`);
  }
  say(`target cosine ${search.target}: fully quantized, lowest output cosine ${first.cosine.toFixed(5)}`);
  if (first.cosine >= search.target || first.result.noop) return finish(first, [], first.cosine, search.target);

  const candidates = quantizedCandidates(first.result.model, load());
  const names = [...load().graph.nodes].map((n) => n.name).filter((n) => n !== '');
  const alone: (KeptNode & { shortfall: number })[] = [];
  for (const [i, c] of candidates.entries()) {
    const only = await run(names.filter((n) => n !== c.node));
    alone.push({ ...c, aloneCosine: only.cosine, shortfall: only.shortfall });
    say(`  sensitivity ${i + 1}/${candidates.length}: ${c.opType} '${c.node}' alone → lowest output cosine ${only.cosine.toFixed(5)}`);
  }
  alone.sort((a, b) => b.shortfall - a.shortfall);
  const maxKept = search.maxKept ?? Math.max(1, Math.floor(candidates.length / 4));
  const kept: (KeptNode & { gain: number })[] = [];
  let best = first;
  for (const [tried, c] of alone.entries()) {
    if (kept.length >= maxKept || tried >= 2 * maxKept || best.cosine >= search.target || c.shortfall <= 0) break;
    const next = await run([...kept, c].map((k) => k.node));
    const better = next.shortfall < best.shortfall;
    say(`  ${better ? 'keeping' : 'not keeping'} ${c.opType} '${c.node}' in float: lowest output cosine ${next.cosine.toFixed(5)}${better ? ` (${kept.length + 1} kept)` : ', no better'}`);
    if (!better) continue;
    kept.push({ node: c.node, opType: c.opType, aloneCosine: c.aloneCosine, gain: best.shortfall - next.shortfall });
    best = next;
  }
  let latencyRatio: number | undefined;
  if (search.latencyRatio && kept.length) {
    // Float nodes cost time: while the model is no faster than float, give back to int8 the kept
    // node that bought the least fidelity.
    latencyRatio = await search.latencyRatio(best.result.model);
    say(`  latency with ${kept.length} node(s) in float: ${latencyRatio.toFixed(3)}× float`);
    while (latencyRatio >= 1 && kept.length) {
      const least = kept.reduce((a, b) => (b.gain < a.gain ? b : a));
      kept.splice(kept.indexOf(least), 1);
      best = await run(kept.map((k) => k.node));
      latencyRatio = await search.latencyRatio(best.result.model);
      say(`  int8 again: ${least.opType} '${least.node}' (not faster than float): lowest output cosine ${best.cosine.toFixed(5)}, latency ${latencyRatio.toFixed(3)}× float`);
    }
  }
  const found = finish(best, kept.map(({ gain: _, ...k }) => k), first.cosine, search.target);
  return latencyRatio === undefined ? found : { ...found, latencyRatio };
}

function finish(run: { result: QuantizeResult; outputs: Record<string, number>; cosine: number }, kept: KeptNode[], startCosine: number, target: number): TargetCosineResult {
  const byName = new Map(kept.map((k) => [k.node, k]));
  const skipped = run.result.skipped.map((d): Diagnostic => {
    const k = d.code === 'excluded' && d.node ? byName.get(d.node) : undefined;
    if (!k) return d;
    return { ...d, code: 'sensitive', reason: `kept in float to reach output cosine ${target}: quantized on its own it lowers the output cosine to ${k.aloneCosine.toFixed(5)}` };
  });
  // Kept nodes first: they are what the user asked about.
  skipped.sort((a, b) => Number(b.code === 'sensitive') - Number(a.code === 'sensitive'));
  return { result: { ...run.result, skipped }, kept, startCosine, cosine: run.cosine, outputs: run.outputs, reached: run.cosine >= target };
}

/** Named weighted nodes of the float model that the quantized model runs in int8 (their weight now comes from a DequantizeLinear). */
function quantizedCandidates(quantized: Model, float: Model): Omit<KeptNode, 'aloneCosine'>[] {
  const rewritten = new Set<string>();
  for (const graph of quantized.allGraphs()) {
    for (const n of graph.nodes) if (CANDIDATE_OPS.has(n.opType) && n.name && n.input(1)?.producer()?.opType === 'DequantizeLinear') rewritten.add(n.name);
  }
  const out: Omit<KeptNode, 'aloneCosine'>[] = [];
  for (const graph of float.allGraphs()) for (const n of graph.nodes) if (rewritten.has(n.name)) out.push({ node: n.name, opType: n.opType });
  return out;
}

/**
 * Outputs computed through a comparison (a peak mask: `heat == MaxPool(heat)`, a threshold): any
 * change, however small, can flip them, so their cosine moves erratically from one run to the next.
 */
export function steppedOutputs(model: Model): Set<string> {
  const reached = new Set<Value>();
  const stack: Value[] = [];
  for (const graph of model.allGraphs()) for (const n of graph.nodes) if (n.domain === '' && COMPARISONS.has(n.opType)) stack.push(...n.outputs.filter((v): v is Value => Boolean(v)));
  while (stack.length) {
    const v = stack.pop()!;
    if (reached.has(v)) continue;
    reached.add(v);
    for (const use of v.uses()) stack.push(...use.node.outputs.filter((o): o is Value => Boolean(o)));
  }
  return new Set(model.graph.outputs.filter((v) => reached.has(v)).map((v) => v.name));
}

