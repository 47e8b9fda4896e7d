import { readModelFile } from '../node/model-files.js';
import { openSource } from '../node/data-sources.js';
import { integerArraysNote } from '../node/data-notes.js';
import { createNodeRunner } from '../runner/ort-node.js';
import type { Runner } from '../runner/runner.js';
import { parsePreprocess } from '../data/preprocess.js';
import { evaluateRunners, type EvalTarget, type EvaluationResult, type ModelEvaluation } from '../eval/evaluate.js';
import { peakMapText } from '../eval/peak-masks.js';
import { peakMaskFiles } from '../node/peak-map-files.js';
import { comparePerLayer, type PerLayerResult } from '../eval/per-layer.js';
import { excludeCommand } from '../eval/exclude-command.js';
import { locateFrom } from '../node/locate-from.js';
import type { AccuracyResult } from '../eval/accuracy.js';
import { formatAddedDb, formatDb } from '../eval/layer-ranking.js';
import { RANDOM_DATA_NOTE } from '../eval/verify.js';
import { UsageError } from '../errors.js';
import { dimsNote } from '../eval/inputs.js';
import { writeEvalReport } from '../report/gather.js';
import { checkOutputFile } from '../node/output-paths.js';
import { parseDims } from './args.js';
import { createProgress } from '../util/progress.js';
import { parseCount, readLabels, requireModelFiles } from './eval-args.js';
import { fidelityFigures, printJson, table } from './format.js';
import { floatNonFiniteText, quantizedNonFiniteText } from '../eval/fidelity-warnings.js';

export interface EvalCliOptions {
  data: string;
  labels?: string;
  scoresOutput?: string;
  reference?: string;
  perLayer?: boolean;
  perLayerSamples?: string;
  dim?: string;
  preprocess?: string;
  samples?: string;
  threads?: string;
  report?: string;
  json?: boolean;
}

/** Per-layer comparison runs both models once per group of values: a few samples rank layers well enough. */
const DEFAULT_PER_LAYER_SAMPLES = 4;
/** Rows of the per-layer table in text output; --json and the report carry them all. */
const LAYERS_SHOWN = 15;

interface PerLayerEntry extends PerLayerResult {
  model: string;
  reference: string;
  command?: string;
}

export async function evalCommand(models: string[], cli: EvalCliOptions): Promise<void> {
  const samples = parseCount('--samples', cli.samples);
  const perLayerSamples = parseCount('--per-layer-samples', cli.perLayerSamples) ?? DEFAULT_PER_LAYER_SAMPLES;
  const threads = parseCount('--threads', cli.threads);
  const dims = parseDims(cli.dim);
  const preprocess = parsePreprocess(cli.preprocess);
  // Options that only mean something beside another: given alone they would be silently ignored.
  if (cli.scoresOutput && !cli.labels) throw new UsageError('--scores-output names the output read as class scores for --labels: give --labels FILE.npy too', { code: 'bad-option' });
  if (cli.perLayerSamples !== undefined && !cli.perLayer) throw new UsageError('--per-layer-samples is for --per-layer: give --per-layer too', { code: 'bad-option' });
  if (cli.perLayer && !cli.reference) throw new UsageError('--per-layer compares each model with its float twin: give it with --reference', { code: 'bad-option' });
  if (cli.report && (!cli.reference || models.length !== 1)) throw new UsageError('--report describes one quantized model against its float model: give one MODEL and --reference', { code: 'bad-option' });
  if (cli.report) checkOutputFile(cli.report, '--report', 'report.html');
  requireModelFiles([...(cli.reference ? [cli.reference] : []), ...models]);
  if (!cli.labels && !cli.reference) throw new UsageError('nothing to measure: give --labels FILE.npy (accuracy) or --reference FLOAT_MODEL (fidelity), or both', { code: 'bad-option' });
  const labels = cli.labels ? readLabels(cli.labels) : undefined;
  const quiet = cli.json === true && !process.stderr.isTTY;
  const say = (line: string) => (quiet ? undefined : process.stderr.write(`${line}\n`));
  const progress = (label: string, unit: string) => createProgress({ label, unit, stream: process.stderr, silent: quiet });

  // The source is shaped for the reference (or first) model: batch splitting follows its inputs.
  const shaping = readModelFile(cli.reference ?? models[0]!).model;
  // Said on stderr as they come, and carried in --json's "notes" (stderr is quiet then).
  const notes: string[] = [];
  const madeUp = dimsNote(shaping, dims, cli.reference ?? models[0]!, { generated: cli.data === 'random', realSource: cli.data });
  if (madeUp) notes.push(madeUp);
  if (cli.data === 'random') notes.push(RANDOM_DATA_NOTE);
  const unscaled = integerArraysNote(cli.data, shaping);
  if (unscaled) notes.push(unscaled);
  for (const note of notes) say(`note: ${note}`);
  const source = openSource(cli.data, shaping, { dims, preprocess, ...(samples !== undefined ? { limit: samples } : {}) });
  const runnerOptions = threads ? { threads } : {};
  // Peak masks are compared with the maps they come from, run from a copy of each model that lists
  // them as outputs (eval/map-runner.ts).
  const compared = [...(cli.reference ? [cli.reference] : []), ...models];
  const masks = peakMaskFiles(cli.reference ? shaping : undefined, compared);
  const opened: Runner[] = [];
  const open = async (index: number): Promise<EvalTarget> => {
    const runner = await masks.open(index, runnerOptions);
    opened.push(runner);
    return { name: compared[index]!, runner };
  };
  let evaluation: EvaluationResult;
  try {
    const reference = cli.reference ? await open(0) : undefined;
    const targets: EvalTarget[] = [];
    for (let i = cli.reference ? 1 : 0; i < compared.length; i++) targets.push(await open(i));
    const evaluating = progress('evaluating', 'samples');
    evaluation = await evaluateRunners(targets, source, {
      ...(labels ? { labels, labelsFile: cli.labels! } : {}),
      ...(cli.scoresOutput ? { scoresOutput: cli.scoresOutput } : {}),
      ...(reference ? { reference, peakGrids: masks.grids } : {}),
      onProgress: (done, total) => evaluating.update(done, total),
    });
    evaluating.finish();
    for (const m of evaluation.models) if (m.fidelity) m.fidelity = masks.attach(m.fidelity);
  } finally {
    await Promise.all(opened.map((r) => r.dispose()));
  }

  const perLayer: PerLayerEntry[] = [];
  if (cli.perLayer) {
    for (const path of models) {
      const candidate = readModelFile(path).model;
      const comparing = progress(`per-layer ${path}`, 'groups of values');
      const result = await comparePerLayer(shaping, candidate, source, (bytes) => createNodeRunner(bytes, runnerOptions), {
        samples: perLayerSamples,
        onProgress: (done, total) => comparing.update(done, total),
      });
      comparing.finish();
      const command = excludeCommand({ exclude: result.suggestion.exclude, floatPath: cli.reference!, quantizedPath: path, metadata: candidate.metadataProps, locate: locateFrom(path) });
      perLayer.push({ model: path, reference: cli.reference!, ...result, ...(command ? { command } : {}) });
    }
  }

  if (cli.report) {
    const written = await writeEvalReport(cli.report, {
      floatPath: cli.reference!,
      quantizedPath: models[0]!,
      evaluation,
      ...(perLayer[0] ? { perLayer: perLayer[0] } : {}),
      source,
      perLayerSamples,
      ...(threads ? { threads } : {}),
      progress: say,
    });
    say(`wrote report ${written}`);
  }

  if (cli.json) printJson(toJson(evaluation, perLayer, cli.report, notes));
  else process.stdout.write(renderText(evaluation, perLayer));
}

/** What the figures alone would hide: non-finite values on either side, named by model and output. */
function evalWarnings(evaluation: EvaluationResult): string[] {
  const several = evaluation.models.length > 1;
  return evaluation.models.flatMap((m) =>
    [floatNonFiniteText(m.fidelity ?? []), quantizedNonFiniteText(m.fidelity ?? [])]
      .filter((w): w is string => w !== undefined)
      .map((w) => (several ? `${m.name}: ${w}` : w)),
  );
}

function toJson(evaluation: EvaluationResult, perLayer: PerLayerEntry[], report: string | undefined, notes: string[]): unknown {
  const model = (m: ModelEvaluation) => ({ path: m.name, ...(m.accuracy ? { accuracy: m.accuracy } : {}), ...(m.fidelity ? { fidelity: m.fidelity } : {}) });
  return {
    source: evaluation.source,
    samples: evaluation.samples,
    ...(evaluation.reference ? { reference: model(evaluation.reference) } : {}),
    models: evaluation.models.map(model),
    ...(perLayer.length ? { perLayer } : {}),
    ...(report ? { report } : {}),
    warnings: evalWarnings(evaluation),
    notes,
  };
}

function renderText(evaluation: EvaluationResult, perLayer: PerLayerEntry[]): string {
  const lines = [`evaluated on ${evaluation.samples} sample(s) from ${evaluation.source}`];
  if (evaluation.reference) lines.push(`reference ${evaluation.reference.name}${accuracyText(evaluation.reference.accuracy)}`);
  for (const m of evaluation.models) {
    lines.push(`${m.name}${accuracyText(m.accuracy)}`);
    for (const o of m.fidelity ?? []) lines.push(`  vs reference, ${o.name}: ${fidelityFigures(o)}${peakMapText(o)}`);
  }
  for (const warning of evalWarnings(evaluation)) lines.push(`warning: ${warning}`);
  for (const p of perLayer) lines.push('', ...perLayerText(p));
  return `${lines.join('\n')}\n`;
}

function accuracyText(a: AccuracyResult | undefined): string {
  if (!a) return '';
  const top5 = a.top5 !== undefined ? `  top-5 ${percent(a.top5)} (${a.correctTop5}/${a.labelled})` : '';
  return `: top-1 ${percent(a.top1)} (${a.correctTop1}/${a.labelled})${top5}  [output '${a.output}', ${a.classes} classes]`;
}

function perLayerText(p: PerLayerEntry): string[] {
  const rows = p.layers.slice(0, LAYERS_SHOWN).map((l) => [l.node || `(${l.value})`, l.opType, l.quantized ? 'yes' : '', formatDb(l.sqnrDb), formatAddedDb(l.addedSqnrDb)]);
  const lines = [
    `per-layer: ${p.model} against ${p.reference}, ${p.compared} node outputs on ${p.samples} sample(s), worst first (rewritten nodes first, by the noise each adds):`,
    table([['node', 'op', 'quantized', 'SQNR', 'added by node'], ...rows]),
  ];
  if (p.layers.length > LAYERS_SHOWN) lines.push(`  … ${p.layers.length - LAYERS_SHOWN} more (use --json for all)`);
  lines.push(`${p.suggestion.reason}.`);
  if (p.command) lines.push('to leave the worst layers in float:', `  ${p.command}`);
  if (p.suggestion.unnamed.length) lines.push(`(unnamed nodes that --exclude cannot name, by output value: ${p.suggestion.unnamed.join(', ')})`);
  return lines;
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
