import { DataType, type TypedArray } from '../ir/dtype.js';
import { float16Values } from '../runner/feed-types.js';
import type { HostTensor, Runner } from '../runner/runner.js';
import type { SampleSource } from '../data/samples.js';
import { LowbitError } from '../errors.js';
import { FidelityAccumulator, classAxisSize, type FidelityMetrics } from './metrics.js';
import { AccuracyAccumulator, scoresOutputOf, type AccuracyResult } from './accuracy.js';
import { PeakMatchAccumulator, type PeakGrid } from './peak-match.js';

/** Below this cosine against float an output gets a warning that says where to look (quantize, the report). */
export const LOW_COSINE = 0.98;

/** Said wherever figures come from generated inputs (quantize's verification, eval, the report). */
export const RANDOM_DATA_NOTE = 'inputs were generated at random: these figures say little about accuracy on real data';

export interface OutputFidelity extends FidelityMetrics {
  name: string;
  /** For a peak mask (eval/peak-masks.ts): the same figures for the map whose local maxima it keeps. */
  peakMap?: PeakMapFidelity;
  /**
   * For a peak mask whose map's grid is known (peakMaskGrids): the cosine with each peak allowed to
   * move by one pixel (eval/peak-match.ts), which says whether the same detections were made.
   */
  peakMatchCosine?: number;
}

export interface PeakMapFidelity {
  /** The map's value name in the float model. */
  name: string;
  cosine: number;
  sqnrDb: number;
}

export interface VerifyResult {
  samples: number;
  /** Where the inputs came from; random inputs say little about real accuracy. */
  source: string;
  outputs: OutputFidelity[];
  /** With labels: top-1 (and top-5) of the float and of the quantized model on the same samples. */
  accuracy?: { float: AccuracyResult; quantized: AccuracyResult };
}

/** Labels for verification: one per score row of the data, in order. */
export interface VerifyLabels {
  labels: ArrayLike<number>;
  /** The labels' file, for messages. */
  file: string;
  /** The output holding class scores (default: the first output shaped [rows, classes]). */
  scoresOutput?: string;
}

export interface VerifyProgress {
  (done: number, total: number | undefined): void;
}

/**
 * Run the reference (float) and candidate (quantized) models on the same samples and measure each
 * output of the candidate against the reference. Only running sums are kept per output. Outputs in
 * `peakGrids` (peak masks, peakMaskGrids) also get their cosine with peaks matched within a pixel.
 */
export async function verifyRunners(reference: Runner, candidate: Runner, source: SampleSource, onProgress?: VerifyProgress, labels?: VerifyLabels, peakGrids?: ReadonlyMap<string, PeakGrid>): Promise<VerifyResult> {
  const names = reference.outputs.map((o) => o.name).filter((n) => candidate.outputs.some((c) => c.name === n));
  if (names.length === 0) throw new LowbitError('the quantized model has none of the float model\'s outputs', { code: 'verify-mismatch' });
  const acc = new Map(names.map((n) => [n, new FidelityAccumulator()]));
  const peaks = peakMatchAccumulators(names, peakGrids);
  const scores = labels ? (labels.scoresOutput ?? scoresOutputOf(reference)) : undefined;
  if (scores !== undefined && !names.includes(scores)) throw new LowbitError(`no output '${scores}' in both models; outputs: ${names.join(', ')}`, { code: 'no-scores' });
  const accuracy = labels && scores ? [new AccuracyAccumulator(labels.labels, scores, labels.file), new AccuracyAccumulator(labels.labels, scores, labels.file)] : undefined;
  let samples = 0;
  for await (const feeds of source.samples()) {
    const [ref, out] = [await reference.run(feeds, names), await candidate.run(feeds, names)];
    for (const name of names) {
      const r = ref[name]!;
      const q = out[name]!;
      const [refValues, values] = [asNumbers(r), asNumbers(q)];
      acc.get(name)!.add(refValues, values, classAxisSize(r.dims));
      peaks.get(name)?.add(refValues, values);
    }
    if (accuracy && scores) {
      accuracy[0]!.add(asNumbers(ref[scores]!), ref[scores]!.dims);
      accuracy[1]!.add(asNumbers(out[scores]!), out[scores]!.dims);
    }
    samples++;
    onProgress?.(samples, source.size);
  }
  if (samples === 0) throw new LowbitError(`data source ${source.label} gave no samples`, { code: 'no-samples' });
  return {
    samples,
    source: source.label,
    outputs: names.map((name) => outputFidelity(name, acc.get(name)!, peaks.get(name))),
    ...(accuracy ? { accuracy: { float: accuracy[0]!.result(), quantized: accuracy[1]!.result() } } : {}),
  };
}

/** An accumulator for each of `names` that has a peak grid. */
export function peakMatchAccumulators(names: readonly string[], peakGrids: ReadonlyMap<string, PeakGrid> | undefined): Map<string, PeakMatchAccumulator> {
  const peaks = new Map<string, PeakMatchAccumulator>();
  for (const name of names) {
    const grid = peakGrids?.get(name);
    if (grid) peaks.set(name, new PeakMatchAccumulator(grid));
  }
  return peaks;
}

/** One output's figures, with the peak-matched cosine when it has one. */
export function outputFidelity(name: string, fidelity: FidelityAccumulator, peaks: PeakMatchAccumulator | undefined): OutputFidelity {
  const peakMatchCosine = peaks?.cosine();
  return { name, ...fidelity.result(), ...(peakMatchCosine !== undefined ? { peakMatchCosine } : {}) };
}

/** Output values as numbers: float16 bits decoded, int64 converted. */
export function asNumbers(t: HostTensor): ArrayLike<number> {
  if (Array.isArray(t.data)) throw new LowbitError('string outputs cannot be compared numerically', { code: 'verify-type' });
  const data = t.data as TypedArray;
  if (t.dtype === DataType.FLOAT16) return float16Values(data);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, Number);
  return data as ArrayLike<number>;
}
