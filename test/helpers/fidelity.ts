// Test support, not library code: compare a converted model's outputs with its source's in
// onnxruntime-node (graph optimizations off, so the graph runs as written).
import { formatDiagnostic } from '../../src/diagnostics.js';
import { checkModel, errorsOf } from '../../src/ir/checker.js';
import type { Model } from '../../src/ir/model.js';
import { FidelityAccumulator, type FidelityMetrics } from '../../src/eval/metrics.js';
import { asNumbers } from '../../src/eval/verify.js';
import { createNodeRunner } from '../../src/runner/ort-node.js';
import type { Feeds, HostTensor } from '../../src/runner/runner.js';
import { encodeModel } from '../../src/serde/encode.js';

export async function run(model: Model | Uint8Array, feeds: Feeds): Promise<Record<string, HostTensor>> {
  const runner = await createNodeRunner(model instanceof Uint8Array ? model : encodeModel(model), { optimization: 'disabled', threads: 2 });
  try {
    return await runner.run(feeds);
  } finally {
    await runner.dispose();
  }
}

/** Fidelity of every output of `candidate` against `reference`, by output name. */
export function fidelity(reference: Record<string, HostTensor>, candidate: Record<string, HostTensor>): Record<string, FidelityMetrics> {
  const out: Record<string, FidelityMetrics> = {};
  for (const [name, ref] of Object.entries(reference)) {
    const acc = new FidelityAccumulator();
    acc.add(asNumbers(ref), asNumbers(candidate[name]!));
    out[name] = acc.result();
  }
  return out;
}

/** The smallest cosine over all outputs. */
export function worstCosine(metrics: Record<string, FidelityMetrics>): number {
  return Math.min(...Object.values(metrics).map((m) => m.cosine));
}

/** Checker errors, formatted, so that a failing expect shows them. */
export function checkerErrors(model: Model): string[] {
  return errorsOf(checkModel(model)).map(formatDiagnostic);
}

/** Op types of the main graph in node order. */
export function opSequence(model: Model): string[] {
  return model.graph.nodes.toArray().map((n) => n.opType);
}

/** The largest |a − b| over the largest |b|: one number for "matches to float tolerance". */
export function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}
