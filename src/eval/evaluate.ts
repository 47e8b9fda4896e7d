import type { Feeds, HostTensor, Runner } from '../runner/runner.js';
import type { SampleSource } from '../data/samples.js';
import { LowbitError, UsageError } from '../errors.js';
import { FidelityAccumulator, classAxisSize } from './metrics.js';
import { asNumbers, outputFidelity, peakMatchAccumulators, type OutputFidelity } from './verify.js';
import type { PeakGrid, PeakMatchAccumulator } from './peak-match.js';
import { AccuracyAccumulator, scoresOutputOf, type AccuracyResult } from './accuracy.js';

/** A model to evaluate: a name for reports (usually its path) and a runner holding it. */
export interface EvalTarget {
  name: string;
  runner: Runner;
}

export interface EvaluateOptions {
  /** One integer label per sample, in source order: turns on top-1 (and top-5 from ten classes). */
  labels?: ArrayLike<number>;
  /** Named in messages about the labels (the .npy file). */
  labelsFile?: string;
  /** The output holding class scores; by default the first output shaped [rows, classes]. */
  scoresOutput?: string;
  /** The float model every target is compared with, output by output. */
  reference?: EvalTarget;
  /** Peak masks among the outputs (peakMaskGrids): also compared with peaks matched within a pixel. */
  peakGrids?: ReadonlyMap<string, PeakGrid>;
  onProgress?: (done: number, total: number | undefined) => void;
}

export interface ModelEvaluation {
  name: string;
  accuracy?: AccuracyResult;
  /** Against the reference, one entry per output both models have. */
  fidelity?: OutputFidelity[];
}

export interface EvaluationResult {
  source: string;
  samples: number;
  reference?: Omit<ModelEvaluation, 'fidelity'>;
  models: ModelEvaluation[];
}

interface TargetState {
  target: EvalTarget;
  accuracy?: AccuracyAccumulator;
  fidelity?: Map<string, FidelityAccumulator>;
  peaks?: Map<string, PeakMatchAccumulator>;
}

/**
 * Run every model over the same samples, one sample at a time: the reference runs once per sample
 * and each model is compared with it while its outputs are at hand, so memory stays flat however
 * many samples there are. With labels, each model's own accuracy is counted too.
 */
export async function evaluateRunners(targets: EvalTarget[], source: SampleSource, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  if (targets.length === 0) throw new UsageError('give at least one model to evaluate', { code: 'no-models' });
  const reference = options.reference ? stateFor(options.reference, options, undefined) : undefined;
  const states = targets.map((t) => stateFor(t, options, options.reference));
  let samples = 0;
  for await (const feeds of source.samples()) {
    const refOutputs = reference ? await runTarget(reference, feeds) : undefined;
    for (const state of states) {
      const outputs = await runTarget(state, feeds);
      if (refOutputs) compare(state, refOutputs, outputs);
    }
    samples++;
    options.onProgress?.(samples, source.size);
  }
  if (samples === 0) throw new LowbitError(`data source ${source.label} gave no samples`, { code: 'no-samples' });
  return {
    source: source.label,
    samples,
    ...(reference ? { reference: { name: reference.target.name, ...accuracyOf(reference) } } : {}),
    models: states.map((s) => ({
      name: s.target.name,
      ...accuracyOf(s),
      ...(s.fidelity ? { fidelity: [...s.fidelity].map(([name, acc]) => outputFidelity(name, acc, s.peaks?.get(name))) } : {}),
    })),
  };
}

function stateFor(target: EvalTarget, options: EvaluateOptions, reference: EvalTarget | undefined): TargetState {
  const state: TargetState = { target };
  if (options.labels) {
    const output = options.scoresOutput ?? scoresOutputOf(target.runner);
    if (!target.runner.outputs.some((o) => o.name === output)) {
      throw new UsageError(`${target.name} has no output '${output}' (it has ${target.runner.outputs.map((o) => o.name).join(', ')})`, { code: 'no-scores' });
    }
    state.accuracy = new AccuracyAccumulator(options.labels, output, options.labelsFile ?? 'the labels array');
  }
  if (reference) {
    const names = reference.runner.outputs.map((o) => o.name).filter((n) => target.runner.outputs.some((o) => o.name === n));
    if (names.length === 0) throw new LowbitError(`${target.name} has none of the outputs of the reference ${reference.name}`, { code: 'verify-mismatch' });
    state.fidelity = new Map(names.map((n) => [n, new FidelityAccumulator()]));
    state.peaks = peakMatchAccumulators(names, options.peakGrids);
  }
  return state;
}

/** The first output whose declared shape reads as [rows, classes]; symbolic rows count as rows. */
async function runTarget(state: TargetState, feeds: Feeds): Promise<Record<string, HostTensor>> {
  const wanted = new Set<string>(state.fidelity?.keys() ?? []);
  if (state.accuracy) wanted.add(state.accuracy.output);
  let outputs: Record<string, HostTensor>;
  try {
    outputs = await state.target.runner.run(feeds, wanted.size ? [...wanted] : undefined);
  } catch (error) {
    if (error instanceof LowbitError) throw new LowbitError(`${state.target.name}: ${error.message}`, { code: error.code, file: state.target.name, cause: error });
    throw error;
  }
  if (state.accuracy) {
    const scores = outputs[state.accuracy.output]!;
    state.accuracy.add(asNumbers(scores), scores.dims);
  }
  return outputs;
}

function compare(state: TargetState, reference: Record<string, HostTensor>, outputs: Record<string, HostTensor>): void {
  for (const [name, acc] of state.fidelity!) {
    const r = reference[name]!;
    const [refValues, values] = [asNumbers(r), asNumbers(outputs[name]!)];
    acc.add(refValues, values, classAxisSize(r.dims));
    state.peaks?.get(name)?.add(refValues, values);
  }
}

function accuracyOf(state: TargetState): { accuracy?: AccuracyResult } {
  return state.accuracy ? { accuracy: state.accuracy.result() } : {};
}
