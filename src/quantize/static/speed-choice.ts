import type { Diagnostic } from '../../diagnostics.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { UsageError } from '../../errors.js';
import { memoizeCalibration } from '../memoize-calibration.js';
import type { QuantizeOptions } from '../options.js';
import { quantize, type QuantizeResult } from '../quantize.js';

/**
 * Milliseconds per run of each node onnxruntime executes in each model, by the name of the node it
 * ran, the models' runs interleaved (runner/ort-profile.ts). Given as a function so that this file
 * stays free of onnxruntime.
 */
export type ProfileModels = (models: Model[]) => Promise<Map<string, number>[]>;

/**
 * How the CLI measures for the speed choice (tools/record-det-profiles.mjs measures the same way):
 * per-node profiles of at least 20 and up to 100 interleaved runs within 10 s, and the closing
 * whole-model timing over 20 rounds, on 2 threads.
 */
export const SPEED_CHOICE_MEASURING = { threads: 2, runs: 20, maxRuns: 100, budgetMs: 10_000, latencyRuns: 20 } as const;

/** What one Conv costs in each form, from the profiles. */
export interface ConvCost {
  node: string;
  floatMs: number;
  int8Ms: number;
  /** The QuantizeLinear and DequantizeLinear that run only because this Conv is int8 (see int8Costs). */
  qdqMs: number;
}

/** Ops onnxruntime fuses into the Conv before it in the float model, whose output names the fused node. */
const FUSED_AFTER_CONV = new Set(['Relu', 'Clip', 'BatchNormalization', 'Add', 'Mul', 'Sigmoid', 'HardSigmoid', 'LeakyRelu', 'HardSwish']);

/** The node name onnxruntime's profile refers to: without the suffixes its layout and duplication passes add. */
function baseName(profiled: string): string {
  return profiled.replace(/\/duplicated.*$/, '').replace(/(_token_\d+)+$/, '').replace(/_nchwc$/, '');
}

/**
 * Each Conv's time in the float model's profile. onnxruntime names a fused or NCHWc Conv after its
 * output, which after a fused Relu, BatchNormalization or Add is that op's output: walk back from
 * the named value to the Conv that feeds it.
 */
export function floatConvTimes(model: Model, profile: Map<string, number>): Map<string, number> {
  const producers = new Map<string, Node>();
  const byName = new Map<string, Node>();
  for (const node of model.graph.nodes) {
    if (node.name) byName.set(node.name, node);
    for (const out of node.outputs) if (out) producers.set(out.name, node);
  }
  const times = new Map<string, number>();
  for (const [profiled, ms] of profile) {
    const name = baseName(profiled);
    let node = byName.get(name)?.opType === 'Conv' ? byName.get(name) : producers.get(name);
    for (let steps = 0; node && node.opType !== 'Conv' && FUSED_AFTER_CONV.has(node.opType) && steps < 4; steps++) {
      const from = node.inputs.find((v) => v && producers.has(v.name) && !v.constTensor());
      node = from ? producers.get(from.name) : undefined;
    }
    if (node?.opType === 'Conv' && node.name) times.set(node.name, (times.get(node.name) ?? 0) + ms);
  }
  return times;
}

/**
 * Each int8 Conv's cost in the quantized model's profile: its QLinearConv, plus the Q/DQ that run
 * only because of it. onnxruntime drops the Q/DQ it fuses into int8 kernels, so a Q or DQ in the
 * profile is real work: the QuantizeLinear of its input when that input comes from a float op (a
 * HardSwish), shared by the int8 readers of that tensor, and the DequantizeLinears of its output
 * that feed float ops.
 */
export function int8Costs(quantized: Model, profile: Map<string, number>, floatTimes: Map<string, number>): ConvCost[] {
  const timeOf = new Map<string, number>();
  for (const [profiled, ms] of profile) timeOf.set(baseName(profiled), (timeOf.get(baseName(profiled)) ?? 0) + ms);
  const costs: ConvCost[] = [];
  for (const conv of quantized.graph.nodes) {
    if (conv.opType !== 'Conv' || !conv.name || conv.input(1)?.producer()?.opType !== 'DequantizeLinear') continue;
    const int8Ms = timeOf.get(conv.name);
    const floatMs = floatTimes.get(conv.name);
    if (int8Ms === undefined || floatMs === undefined) continue;
    let qdqMs = 0;
    const inputDq = conv.input(0)?.producer();
    const inputQ = inputDq?.opType === 'DequantizeLinear' ? inputDq.input(0)?.producer() : undefined;
    if (inputQ?.opType === 'QuantizeLinear') {
      const readers = inputQ.output().uses().length;
      qdqMs += (timeOf.get(inputQ.name) ?? 0) / Math.max(1, readers);
    }
    // Conv → (an absorbed Relu or Clip) → QuantizeLinear → DequantizeLinear(s).
    let out = conv.output();
    const only = out.uses().length === 1 ? out.uses()[0]!.node : undefined;
    if (only && (only.opType === 'Relu' || only.opType === 'Clip')) out = only.output();
    for (const use of out.uses()) {
      if (use.node.opType !== 'QuantizeLinear') continue;
      for (const dq of use.node.output().uses()) if (dq.node.opType === 'DequantizeLinear') qdqMs += timeOf.get(dq.node.name) ?? 0;
    }
    costs.push({ node: conv.name, floatMs, int8Ms, qdqMs });
  }
  return costs;
}

/** How much slower than all-int8 (whole model) a mix may time and still be kept: timing noise here. */
export const MIX_TOLERANCE = 0.05;

/**
 * How much faster than float a Conv's int8 cost must be for it to stay int8. One node's median time
 * differs between two sessions of the same model profiled side by side: on PaddleOCR det's nodes by
 * 0.73–1.39× (5th–95th percentile) over 20 runs, 0.85–1.2× over 100 (the CLI profiles up to 100).
 * Without a margin, three runs put 47, 49 and 53 of det's Convs in float, 15 of them in some runs
 * only, and the held-out cosine followed (0.979–0.986 over more runs). Where int8 does not win by
 * more than the noise, its speed-up cannot be told apart while its rounding error is certain: the
 * tie goes to float.
 */
export const INT8_MARGIN = 0.1;

/** Whether a Conv stays float: its int8 kernel plus the Q/DQ it alone needs is not clearly faster than float. */
function notClearlyFaster(c: ConvCost): boolean {
  return c.int8Ms + c.qdqMs > c.floatMs * (1 - INT8_MARGIN);
}

export interface SpeedChoiceOptions {
  /** Called with the float model and the current int8 one, in that order. */
  profile: ProfileModels;
  /**
   * Each quantized model's latency over the float model's, whole model, all of them timed in the
   * same interleaved rounds (latencyRatiosMeasure): two models timed in separate runs on a shared
   * machine can differ by more than the mix and all-int8 do.
   */
  latencyRatios: (quantized: Model[]) => Promise<number[]>;
  /** Rounds of profile → keep float → quantize again (default 4; PaddleOCR det settles in three or four). */
  maxRounds?: number;
  onProgress?: (line: string) => void;
}

export interface SpeedChoiceResult {
  result: QuantizeResult;
  /** Convs kept in float, with what they cost in each form in the round that chose them. */
  kept: ConvCost[];
  /**
   * Latency over float of the mix the profiles chose and of the model with every Conv in int8,
   * timed side by side; only when some Conv was slower in int8.
   */
  latencyRatio?: number;
  allInt8LatencyRatio?: number;
  /** How many Convs the profiles found not clearly faster in int8, over all rounds, before the whole-model check. */
  slowerInProfiles: number;
  /** The whole model ran clearly slower with them in float than all in int8, so every Conv stayed int8. */
  mixDropped: boolean;
}

/**
 * Static int8 where it is faster: quantize everything, profile the int8 and the float model in
 * onnxruntime on this machine, and keep in float each Conv whose int8 kernel plus the Q/DQ it alone
 * needs is not clearly (INT8_MARGIN) faster than its float kernel; quantize again and repeat (a Conv
 * whose neighbours went float now pays for its own Q/DQ). Per-node profiles miss what a mix costs in layout changes, so
 * the whole model decides at the end: the mix is dropped if it runs clearly slower than all-int8.
 * On PaddleOCR det (AVX2, no VNNI) its depthwise and stem Convs run slower in int8, and every
 * backbone Conv sits between hardswishes that run in float; keeping those in float is both faster
 * and far closer to float. Convs inside subgraphs (If and Loop bodies) are left as quantized.
 */
export async function quantizeWhereFaster(load: () => Model, options: QuantizeOptions, choice: SpeedChoiceOptions): Promise<SpeedChoiceResult> {
  if (options.mode !== 'int8') throw new UsageError(`choosing int8 where it is faster is for --mode int8, not ${options.mode}`, { code: 'bad-option' });
  const say = choice.onProgress ?? (() => {});
  const base = { ...options, ...(options.calibrate ? { calibrate: memoizeCalibration(options.calibrate) } : {}) };
  const userExclude = options.exclude ?? [];
  const run = async (float: string[]) => (await quantize(load(), { ...base, exclude: [...userExclude, ...float] }));

  const float = load();
  const allInt8 = await run([]);
  if (allInt8.noop) return { result: allInt8, kept: [], slowerInProfiles: 0, mixDropped: false };
  const kept = new Map<string, ConvCost>();
  let current = allInt8;
  for (let round = 1; round <= (choice.maxRounds ?? 4); round++) {
    // Float is profiled again beside each round's int8 model: the two are compared node by node.
    const [floatProfile, int8Profile] = await choice.profile([float, current.model]);
    const costs = int8Costs(current.model, int8Profile!, floatConvTimes(float, floatProfile!));
    const slower = costs.filter((c) => notClearlyFaster(c) && !kept.has(c.node));
    say(`speed choice, round ${round}: ${costs.length} int8 Conv(s) profiled, ${slower.length} not at least ${INT8_MARGIN * 100}% faster than in float`);
    if (slower.length === 0) break;
    for (const c of slower) kept.set(c.node, c);
    current = await run([...kept.keys()]);
  }
  // Nothing to compare when every Conv pays in int8: verification times the result anyway.
  if (kept.size === 0) return { result: allInt8, kept: [], slowerInProfiles: 0, mixDropped: false };
  const [allInt8LatencyRatio, latencyRatio] = (await choice.latencyRatios([allInt8.model, current.model])) as [number, number];
  say(`speed choice: ${kept.size} Conv(s) in float → ${latencyRatio.toFixed(3)}× float's time; all int8 ${allInt8LatencyRatio.toFixed(3)}× (timed side by side)`);
  // Per-node profiles miss layout changes, and a shared machine's timings swing by several percent:
  // the mix stays unless the whole model is clearly slower than all-int8, since every Conv it keeps
  // in float is also one fewer source of error.
  if (latencyRatio > allInt8LatencyRatio * (1 + MIX_TOLERANCE)) {
    say(`speed choice: the mix is slower than all int8 on the whole model (by more than ${MIX_TOLERANCE * 100}%); keeping every Conv in int8`);
    return { result: allInt8, kept: [], latencyRatio, allInt8LatencyRatio, slowerInProfiles: kept.size, mixDropped: true };
  }
  const skipped = current.skipped.map((d): Diagnostic => {
    const c = d.code === 'excluded' && d.node ? kept.get(d.node) : undefined;
    if (!c) return d;
    const why = c.int8Ms + c.qdqMs > c.floatMs ? 'it runs faster so on this machine' : `int8 is not at least ${INT8_MARGIN * 100}% faster on this machine (closer than two profiles can tell apart)`;
    return { ...d, code: 'slower-in-int8', reason: `kept in float because ${why}: in onnxruntime's profile its int8 kernel took ${c.int8Ms.toFixed(3)} ms plus ${c.qdqMs.toFixed(3)} ms of Q/DQ it alone needs, against ${c.floatMs.toFixed(3)} ms in float` };
  });
  skipped.sort((a, b) => Number(b.code === 'slower-in-int8') - Number(a.code === 'slower-in-int8'));
  return { result: { ...current, skipped }, kept: [...kept.values()], latencyRatio, allInt8LatencyRatio, slowerInProfiles: kept.size, mixDropped: false };
}
