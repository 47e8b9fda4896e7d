import { runPasses } from '../calib/sample-passes.js';
import type { Model } from '../ir/model.js';
import type { Value } from '../ir/value.js';
import type { Feeds } from '../runner/runner.js';
import { removeIfDead } from '../passes/to-fp32/dead-code.js';
import type { LayerCalibration } from './hessians.js';

// What GPTQ's Hessians (hessians.ts) and bias correction's means (input-means.ts) share: a copy of
// the float model whose only outputs are small statistics computed in onnxruntime, run once over
// the calibration samples.

/** The main graph's values by name (inputs and node outputs): where statistics can be attached. */
export function mainGraphValues(model: Model): Map<string, Value> {
  const byName = new Map<string, Value>();
  for (const v of model.graph.inputs) byName.set(v.name, v);
  for (const node of model.graph.nodes) for (const o of node.outputs) if (o) byName.set(o.name, o);
  return byName;
}

/** After the statistics became the graph's only outputs: drop the nodes and initializers nothing needs any more. */
export function pruneToOutputs(model: Model, originalOutputs: readonly Value[]): void {
  const graph = model.graph;
  for (const node of [...graph.nodes].reverse()) removeIfDead(node);
  for (const v of [...graph.initializers.values()]) if (v.uses().length === 0 && !originalOutputs.includes(v)) graph.removeInitializer(v);
}

/** One pass over the calibration samples (at most maxSamples), with its progress; returns the samples seen. */
export async function overCalibration(calibration: LayerCalibration, visit: (feeds: Feeds) => Promise<void>): Promise<number> {
  const passes = await runPasses({ source: calibration.source, maxSamples: calibration.maxSamples, onProgress: calibration.onProgress, plan: () => 1, visit });
  return passes.samples;
}
