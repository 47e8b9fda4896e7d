// Node only: gathers what the HTML report shows by loading both model files, running them in
// onnxruntime-node (fidelity, per-layer SQNR, latency) and writing the page. Rendering itself is
// pure (render.ts); this file is the edge that touches files and the runtime.
import { statSync } from 'node:fs';
import { writeFileAtomically } from '../node/output-paths.js';
import { basename } from 'node:path';
import { readModelFile, type LoadedModel } from '../node/model-files.js';
import { openSource } from '../node/data-sources.js';
import { createNodeRunner } from '../runner/ort-node.js';
import type { Runner, RunnerOptions } from '../runner/runner.js';
import type { SampleSource } from '../data/samples.js';
import type { PreprocessSpec } from '../data/preprocess.js';
import { formatDiagnostic } from '../diagnostics.js';
import { summarizeModel } from '../inspect/summary.js';
import type { QuantizeResult } from '../quantize/quantize.js';
import { RANDOM_DATA_NOTE, verifyRunners, type VerifyResult } from '../eval/verify.js';
import { peakMaskFiles, type PeakMaskFiles } from '../node/peak-map-files.js';
import type { EvaluationResult } from '../eval/evaluate.js';
import { comparePerLayer, type PerLayerResult } from '../eval/per-layer.js';
import { excludeCommand } from '../eval/exclude-command.js';
import { floatNonFiniteText, lowCosineText, quantizedNonFiniteText } from '../eval/fidelity-warnings.js';
import { locateFrom } from '../node/locate-from.js';
import { benchRunners } from '../eval/bench.js';
import { firstSample } from '../eval/first-sample.js';
import { LowbitError, OutputError, errorMessage } from '../errors.js';
import { VERSION } from '../version.js';
import type { ModelCard, ReportData } from './report-data.js';
import { renderReport } from './render.js';
import { loadReportAssets } from './chart-asset.js';
import { floatWeightNodes } from './left-in-float.js';

/** How much measuring the report does; the defaults keep a 1024×1024 ISNet report to minutes on two cores. */
export interface ReportRunOptions {
  threads?: number;
  /** Timed runs per model for latency (default 5), after `benchWarmup` (default 1). */
  benchRuns?: number;
  benchWarmup?: number;
  /** Samples for the per-layer comparison (default 2): it runs both models once per group of values. */
  perLayerSamples?: number;
  /** See PerLayerOptions.groupBytes. */
  groupBytes?: number;
  /** Progress lines, for stderr. */
  progress?: (line: string) => void;
}

const DEFAULT_BENCH_RUNS = 5;
const DEFAULT_BENCH_WARMUP = 1;
const DEFAULT_PER_LAYER_SAMPLES = 2;
/** Random samples when quantize was given no --data (as its verification uses). */
const DEFAULT_RANDOM_SAMPLES = 4;

export interface QuantizeReportRequest extends ReportRunOptions {
  floatPath: string;
  quantizedPath: string;
  result: Pick<QuantizeResult, 'mode' | 'skipped' | 'warnings' | 'notes'>;
  /** The verification quantize already ran, reused rather than run again. */
  verify?: VerifyResult & { note?: string };
  /** Its float-against-quantized timings (models named by path), reused likewise. */
  latency?: ReportData['latency'];
  /** Warnings of the run the report should repeat (a target cosine not reached). */
  warnings?: string[];
  /** Data as quantize's --data/--preprocess/--dim/--samples give it; random inputs when absent. */
  data?: string;
  preprocess?: PreprocessSpec;
  dims?: Record<string, number>;
  samples?: number;
}

export interface EvalReportRequest extends ReportRunOptions {
  floatPath: string;
  quantizedPath: string;
  evaluation: EvaluationResult;
  perLayer?: PerLayerResult & { command?: string };
  source: SampleSource;
}

/** Gather and write the report for `lowbit quantize … --report FILE`; returns the path written. */
export async function writeQuantizeReport(reportPath: string, request: QuantizeReportRequest): Promise<string> {
  return writeReport(reportPath, await gatherQuantizeReport(request));
}

export async function gatherQuantizeReport(request: QuantizeReportRequest): Promise<ReportData> {
  const float = readModelFile(request.floatPath);
  const random = request.data === undefined;
  const source = openSource(request.data ?? 'random', float.model, {
    ...(request.dims ? { dims: request.dims } : {}),
    ...(request.preprocess ? { preprocess: request.preprocess } : {}),
    ...(request.samples !== undefined ? { limit: request.samples } : {}),
    ...(random ? { randomCount: request.samples ?? DEFAULT_RANDOM_SAMPLES } : {}),
  });
  const note = random ? RANDOM_DATA_NOTE : undefined;
  const notes = [...request.result.notes, ...request.result.warnings.map(formatDiagnostic)];
  return gather(float, request.quantizedPath, source, request, {
    mode: request.result.mode,
    notes,
    warnings: request.warnings ?? [],
    leftInFloat: { origin: 'quantize', nodes: request.result.skipped },
    ...(request.verify ? { fidelity: { samples: request.verify.samples, source: request.verify.source, outputs: request.verify.outputs, ...(request.verify.note ? { note: request.verify.note } : {}) } } : {}),
    ...(note ? { randomNote: note } : {}),
    ...(request.latency ? { latency: request.latency } : {}),
  });
}

/** Gather and write the report for `lowbit eval MODEL --reference FLOAT --report FILE`. */
export async function writeEvalReport(reportPath: string, request: EvalReportRequest): Promise<string> {
  const float = readModelFile(request.floatPath);
  const quantized = request.evaluation.models.find((m) => m.name === request.quantizedPath);
  const accuracy = { ...(request.evaluation.reference?.accuracy ? { float: request.evaluation.reference.accuracy } : {}), ...(quantized?.accuracy ? { quantized: quantized.accuracy } : {}) };
  const data = await gather(float, request.quantizedPath, request.source, request, {
    notes: [],
    warnings: [],
    leftInFloat: { origin: 'inferred', nodes: floatWeightNodes(readModelFile(request.quantizedPath).model) },
    ...(quantized?.fidelity ? { fidelity: { samples: request.evaluation.samples, source: request.evaluation.source, outputs: quantized.fidelity, ...(Object.keys(accuracy).length ? { accuracy } : {}) } } : {}),
    ...(request.perLayer ? { perLayer: request.perLayer } : {}),
  });
  return writeReport(reportPath, data);
}

interface KnownParts {
  mode?: string;
  notes: string[];
  warnings: string[];
  leftInFloat: ReportData['leftInFloat'];
  fidelity?: ReportData['fidelity'];
  perLayer?: ReportData['perLayer'];
  latency?: ReportData['latency'];
  /** Said beside fidelity figures measured here on random inputs. */
  randomNote?: string;
}

/** Fill in what the caller did not already measure. A part that cannot be measured says why in the page instead of failing it. */
async function gather(float: LoadedModel, quantizedPath: string, source: SampleSource, options: ReportRunOptions, known: KnownParts): Promise<ReportData> {
  const quantized = readModelFile(quantizedPath);
  const say = options.progress ?? (() => undefined);
  const runnerOptions: RunnerOptions = options.threads ? { threads: options.threads } : {};
  const unavailable: ReportData['unavailable'] = {};
  const attempt = async <T>(part: keyof ReportData['unavailable'], work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof LowbitError)) throw error;
      unavailable[part] = `could not be measured: ${error.message}`;
      return undefined;
    }
  };

  const fidelity =
    known.fidelity ??
    (await attempt('fidelity', async () => {
      say('report: comparing outputs');
      // Peak masks are compared with their maps (eval/peak-masks.ts, eval/map-runner.ts), as in verification.
      const masks = peakMaskFiles(float.model, [float.path, quantizedPath]);
      const verify = await withRunners([float.path, quantizedPath], runnerOptions, ([f, q]) => verifyRunners(f!, q!, source, undefined, undefined, masks.grids), masks);
      const outputs = masks.attach(verify.outputs);
      return { samples: verify.samples, source: verify.source, outputs, ...(known.randomNote ? { note: known.randomNote } : {}) };
    }));
  const perLayer =
    known.perLayer ??
    (await attempt('perLayer', async () => {
      const result = await comparePerLayer(float.model, quantized.model, source, (bytes) => createNodeRunner(bytes, runnerOptions), {
        samples: options.perLayerSamples ?? DEFAULT_PER_LAYER_SAMPLES,
        ...(options.groupBytes ? { groupBytes: options.groupBytes } : {}),
        onProgress: (done, total) => say(`report: per-layer group ${done}/${total}`),
      });
      const command = excludeCommand({ exclude: result.suggestion.exclude, floatPath: float.path, quantizedPath, metadata: quantized.model.metadataProps, locate: locateFrom(quantizedPath) });
      return { ...result, ...(command ? { command } : {}) };
    }));
  const latency = known.latency ?? await attempt('latency', async () => {
    say('report: timing both models');
    const feeds = await firstSample(source);
    const result = await withRunners([float.path, quantizedPath], runnerOptions, (runners) =>
      benchRunners(runners.map((runner, i) => ({ name: i === 0 ? float.path : quantizedPath, runner })), feeds, { runs: options.benchRuns ?? DEFAULT_BENCH_RUNS, warmup: options.benchWarmup ?? DEFAULT_BENCH_WARMUP }),
    );
    return { ...result, inputs: `the first sample of ${source.label}`, ...(options.threads ? { threads: options.threads } : {}) };
  });

  return {
    title: `lowbit report: ${basename(float.path)} → ${basename(quantizedPath)}`,
    tool: `lowbit ${VERSION}`,
    createdAt: new Date().toISOString(),
    ...(known.mode ? { mode: known.mode } : {}),
    float: card(float),
    quantized: card(quantized),
    ...(fidelity ? { fidelity } : {}),
    ...(perLayer ? { perLayer } : {}),
    leftInFloat: known.leftInFloat,
    ...(latency ? { latency } : {}),
    notes: known.notes,
    warnings: [...known.warnings, ...measuredWarnings(fidelity, latency)],
    unavailable,
  };
}

/** Warnings the report's own figures call for, whoever measured them. */
export function measuredWarnings(fidelity: ReportData['fidelity'], latency: ReportData['latency']): string[] {
  const warnings: string[] = [];
  const outputs = fidelity?.outputs ?? [];
  const low = lowCosineText(outputs);
  if (low) warnings.push(`${low}: the per-layer table names the layers that cost most`);
  for (const text of [floatNonFiniteText(outputs), quantizedNonFiniteText(outputs)]) if (text) warnings.push(text);
  const ratio = latency?.models[1]?.ratio;
  if (ratio !== undefined && ratio > 1) warnings.push(`the quantized model took ${ratio.toFixed(2)}× float's time here: it is not faster on this machine (see Latency)`);
  return warnings;
}

function card(loaded: LoadedModel): ModelCard {
  const external = loaded.externalFiles.reduce((n, f) => n + statSync(f).size, 0);
  return { path: loaded.path, fileBytes: loaded.bytes + external, summary: summarizeModel(loaded.model, 0) };
}

/**
 * Open a runner per path, hand them to `work`, and dispose of them whatever happens. With `masks`
 * (peakMaskFiles of the same paths), the runners also give the peak masks' maps.
 */
async function withRunners<T>(paths: string[], options: RunnerOptions, work: (runners: Runner[]) => Promise<T>, masks?: PeakMaskFiles): Promise<T> {
  const runners: Runner[] = [];
  try {
    for (const [i, p] of paths.entries()) runners.push(masks ? await masks.open(i, options) : await createNodeRunner(p, options));
    return await work(runners);
  } finally {
    await Promise.all(runners.map((r) => r.dispose()));
  }
}

function writeReport(path: string, data: ReportData): string {
  const html = renderReport(data, loadReportAssets());
  try {
    writeFileAtomically(path, html);
  } catch (error) {
    throw new OutputError(`${path}: cannot write the report: ${errorMessage(error)}`, { code: 'write-failed', file: path, cause: error });
  }
  return path;
}

