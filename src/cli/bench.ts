import { readModelFile } from '../node/model-files.js';
import { openSource } from '../node/data-sources.js';
import { integerArraysNote } from '../node/data-notes.js';
import { createNodeRunner } from '../runner/ort-node.js';
import type { Feeds, Runner, RunnerIO, Spinning } from '../runner/runner.js';
import { dtypeName } from '../ir/dtype.js';
import { parsePreprocess } from '../data/preprocess.js';
import { feedsLabel } from '../data/samples.js';
import { dimsNote, generateInputs, withGeneratedInputsHint } from '../eval/inputs.js';
import { UsageError } from '../errors.js';
import { benchRunners, DEFAULT_RUNS, DEFAULT_WARMUP, type BenchResult, type BenchTarget } from '../eval/bench.js';
import { firstSample } from '../eval/first-sample.js';
import { parseDims } from './args.js';
import { createProgress } from '../util/progress.js';
import { parseCount, requireModelFiles } from './eval-args.js';
import { printJson, table } from './format.js';

export interface BenchCliOptions {
  threads?: string;
  spin?: string | boolean;
  runs?: string;
  warmup?: string;
  dim?: string;
  data?: string;
  preprocess?: string;
  json?: boolean;
}

export async function benchCommand(models: string[], cli: BenchCliOptions): Promise<void> {
  const threads = parseCount('--threads', cli.threads);
  const runs = parseCount('--runs', cli.runs) ?? DEFAULT_RUNS;
  const warmup = parseCount('--warmup', cli.warmup, 0) ?? DEFAULT_WARMUP;
  const dims = parseDims(cli.dim);
  const preprocess = parsePreprocess(cli.preprocess);
  if (cli.preprocess && !cli.data) throw new UsageError('--preprocess turns images from --data into inputs: give --data FOLDER too (without it, inputs are generated)', { code: 'bad-option' });
  requireModelFiles(models);
  const quiet = cli.json === true && !process.stderr.isTTY;
  const spinning = parseSpinning(cli.spin);

  const first = readModelFile(models[0]!).model;
  const generated = !cli.data || cli.data === 'random';
  const madeUp = dimsNote(first, dims, models[0]!, { generated, realSource: generated ? undefined : cli.data });
  const feeds = cli.data ? await firstSample(openSource(cli.data, first, { dims, preprocess, limit: 1 })) : generateInputs(first, { dims });
  // Said on stderr, and carried in --json's "notes" (stderr is quiet then).
  const unscaled = cli.data ? integerArraysNote(cli.data, first) : undefined;
  const notes = [madeUp, unscaled].filter((n): n is string => n !== undefined);
  if (!quiet) for (const note of notes) process.stderr.write(`note: ${note}\n`);
  const inputs = cli.data ? `first sample of ${cli.data}` : 'generated from the first model\'s input shapes';
  const opened: Runner[] = [];
  let result: BenchResult;
  try {
    const targets: BenchTarget[] = [];
    for (const path of models) {
      const runner = await createNodeRunner(path, { ...(threads ? { threads } : {}), spinning });
      opened.push(runner);
      const missing = runner.inputs.filter((i) => !(i.name in feeds)).map((i) => `'${i.name}'`);
      if (missing.length) throw new UsageError(`${path} needs input(s) ${missing.join(', ')}, which ${models[0]} does not have: bench times models that take the same inputs (the inputs are made for the first model)`, { code: 'bad-option', file: path });
      const misfit = shapeMismatch(runner.inputs, feeds);
      if (misfit) throw new UsageError(`${path}: ${misfit}, as made for ${models[0]}: bench times models that take the same inputs`, { code: 'bad-option', file: path });
      targets.push({ name: path, runner });
    }
    const timing = createProgress({ label: `timing ${models.length} model(s) on ${feedsLabel(feeds)}`, unit: 'rounds', stream: process.stderr, silent: quiet });
    result = await benchRunners(targets, feeds, { runs, warmup, onProgress: (done, total) => timing.update(done, total) });
    timing.finish();
  } catch (error) {
    throw cli.data ? error : withGeneratedInputsHint(error, first, dims);
  } finally {
    await Promise.all(opened.map((r) => r.dispose()));
  }

  const json = {
    threads: threads ?? null,
    spinning,
    runs: result.runs,
    warmup: result.warmup,
    inputs,
    feeds: Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, { dtype: dtypeName(t.dtype), dims: t.dims }])),
    models: result.models.map(({ name, ...timing }) => ({ path: name, ...timing })),
    notes,
  };
  if (cli.json) printJson(json);
  else process.stdout.write(renderText(result, threads, spinning, inputs));
}

const SPINNING: readonly Spinning[] = ['during-runs', 'always', 'off'];

/** --spin's value: absent → during-runs, bare → always (onnxruntime's default), else one of SPINNING. */
function parseSpinning(spin: string | boolean | undefined): Spinning {
  if (spin === undefined) return 'during-runs';
  if (spin === true) return 'always';
  const known = SPINNING.find((s) => s === spin);
  // A bare --spin before a model path takes the path as its value.
  const hint = /\.onnx$/i.test(String(spin)) ? ` (a bare --spin took the model path '${spin}' as its value: write --spin=always, or put --spin after the models)` : '';
  if (!known) throw new UsageError(`--spin '${String(spin)}' is not a spinning policy: use ${SPINNING.join(', ')}${hint}`, { code: 'bad-option' });
  return known;
}

/** The first input whose fixed dims the feeds do not fit, described; undefined when all fit. */
function shapeMismatch(inputs: readonly RunnerIO[], feeds: Feeds): string | undefined {
  for (const input of inputs) {
    const fed = feeds[input.name]?.dims;
    if (!fed || !input.dims) continue;
    const axis = input.dims.findIndex((d, i) => typeof d === 'number' && d !== fed[i]);
    if (input.dims.length !== fed.length || axis >= 0) {
      return `input '${input.name}' is [${input.dims.map((d) => d ?? '?').join(', ')}], but it would be fed [${fed.join(', ')}]`;
    }
  }
  return undefined;
}

function renderText(result: BenchResult, threads: number | undefined, spinning: Spinning, inputs: string): string {
  const rows = result.models.map((m, i) => [
    m.name,
    `${m.medianMs.toFixed(2)} ms`,
    `${m.p10Ms.toFixed(2)}–${m.p90Ms.toFixed(2)} ms`,
    i === 0 ? '1.00 (baseline)' : `${m.ratio.toFixed(2)} (${m.ratio <= 1 ? `${(1 / m.ratio).toFixed(2)}× faster` : `${m.ratio.toFixed(2)}× slower`})`,
  ]);
  const head = `median of ${result.runs} interleaved runs after ${result.warmup} warm-up, ${threads ? `${threads} thread(s)` : "onnxruntime's default threads"}${spinning === 'during-runs' ? '' : ` (spinning ${spinning})`}, inputs ${inputs}`;
  return `${head}\n${table([['model', 'median', 'p10–p90', 'time ratio to first'], ...rows])}\n`;
}
