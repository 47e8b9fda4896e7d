import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/ir/builder.js';
import { attr } from '../src/ir/attribute.js';
import { DataType } from '../src/ir/dtype.js';
import { float32Tensor } from '../src/ir/tensor/values.js';
import { encodeModel } from '../src/serde/encode.js';
import { encodeNpy } from '../src/data/npy.js';
import { randomFloats } from './helpers/ort.js';
import { lowbit } from './helpers/cli.js';
import { tempDir } from './helpers/temp-dir.js';
import { readModelFile } from '../src/node/model-files.js';
import { locateFrom } from '../src/node/locate-from.js';

const CLASSES = 10;
let dir: string;
let classifier: string;
let data: string;
let labels: string;
let floatCnn: string;
let quantizedCnn: string;

/** scores = x · I for a batch fixed at 1, so the data's rows are the scores. */
function writeClassifier(path: string): void {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [1, CLASSES]);
  const eye = float32Tensor([CLASSES, CLASSES], Float32Array.from({ length: CLASSES * CLASSES }, (_, i) => (i % (CLASSES + 1) === 0 ? 1 : 0)));
  b.output(b.op('MatMul', [x, b.initializer('eye', eye)], { name: 'scores' }), DataType.FLOAT, [1, CLASSES]);
  writeFileSync(path, encodeModel(b.model));
}

function writeCnn(path: string): void {
  const b = new GraphBuilder(13);
  let h = b.input('x', DataType.FLOAT, [1, 3, 16, 16]);
  let channels = 3;
  for (let i = 0; i < 3; i++) {
    const w = b.initializer(`w${i}`, float32Tensor([8, channels, 3, 3], randomFloats(8 * channels * 9, 10 + i, 0.4)));
    h = b.op('Relu', [b.op('Conv', [h, w], { name: `conv${i}`, attributes: { pads: attr.ints([1, 1, 1, 1]) } })], { name: `relu${i}` });
    channels = 8;
  }
  const flat = b.op('Flatten', [b.op('GlobalAveragePool', [h])]);
  b.output(b.op('MatMul', [flat, b.initializer('fc', float32Tensor([8, CLASSES], randomFloats(8 * CLASSES, 20, 0.5)))], { name: 'fc' }), DataType.FLOAT, [1, CLASSES]);
  writeFileSync(path, encodeModel(b.model));
}

/**
 * Five rows in one .npy (split along the batch axis). By hand: rows 0 and 3 rank their label first
 * (row 3 wins its tie with index 4 by being lower; row 4 loses the same tie), and rows 0, 2, 3 and 4
 * have it in the top five.
 */
const ROWS = [
  { scores: [0, 0, 0, 9, 0, 0, 0, 0, 0, 0], label: 3 },
  { scores: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], label: 8 }, // all tied: eight indices rank above it
  { scores: [5, 4, 3, 2, 1, 0, 0, 0, 0, 0], label: 4 }, // fifth
  { scores: [0, 7, 0, 0, 7, 0, 0, 0, 0, 0], label: 1 }, // tied with index 4: the lower index wins
  { scores: [0, 7, 0, 0, 7, 0, 0, 0, 0, 0], label: 4 }, // the same tie, lost: second
];

beforeAll(() => {
  dir = tempDir('cli-eval');
  classifier = join(dir, 'classifier.onnx');
  writeClassifier(classifier);
  data = join(dir, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'all.npy'), encodeNpy({ dtype: DataType.FLOAT, dims: [ROWS.length, CLASSES], data: Float32Array.from(ROWS.flatMap((r) => r.scores)) }));
  labels = join(dir, 'labels.npy');
  writeFileSync(labels, encodeNpy({ dtype: DataType.INT64, dims: [ROWS.length], data: BigInt64Array.from(ROWS, (r) => BigInt(r.label)) }));
  floatCnn = join(dir, 'cnn.onnx');
  writeCnn(floatCnn);
  quantizedCnn = join(dir, 'cnn.int8.onnx');
  const q = lowbit(['quantize', floatCnn, '-o', quantizedCnn, '--mode', 'weights-int8', '--no-verify']);
  expect(q.code, q.stderr).toBe(0);
});

describe('lowbit eval', () => {
  it('counts top-1 and top-5 as by hand, with a many-sample .npy split along the batch axis', () => {
    const r = lowbit(['eval', classifier, '--data', data, '--labels', labels, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ samples: 5, models: [{ path: classifier, accuracy: { output: 'scores_out', classes: 10, labelled: 5, correctTop1: 2, top1: 0.4, correctTop5: 4, top5: 0.8 } }] });
    const text = lowbit(['eval', classifier, '--data', data, '--labels', labels]);
    expect(text.stdout).toContain('top-1 40.0% (2/5)  top-5 80.0% (4/5)');
  });

  it('compares with a reference per output and per layer, with stable JSON fields', () => {
    const r = lowbit(['eval', quantizedCnn, '--reference', floatCnn, '--data', 'random', '--samples', '2', '--per-layer', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['models', 'notes', 'perLayer', 'reference', 'samples', 'source', 'warnings']);
    expect(out.warnings).toEqual([]);
    expect(out.reference).toEqual({ path: floatCnn });
    expect(Object.keys(out.models[0].fidelity[0]).sort()).toEqual(['cosine', 'maxAbsError', 'meanAbsError', 'name', 'nonFinite', 'referenceNonFinite', 'sqnrDb', 'top1Agreement']);
    expect(out.models[0].fidelity[0].sqnrDb).toBeGreaterThan(25);
    const p = out.perLayer[0];
    expect(p).toMatchObject({ model: quantizedCnn, reference: floatCnn, samples: 2, compared: 9, groups: 1 });
    expect(Object.keys(p.layers[0]).sort()).toEqual(['addedSqnrDb', 'cosine', 'inputSqnrDb', 'maxAbsError', 'node', 'opType', 'order', 'quantized', 'sqnrDb', 'value']);
    expect(Object.keys(p.suggestion).sort()).toEqual(['exclude', 'marginDb', 'medianAddedSqnrDb', 'reason', 'unnamed']);
  });

  it('writes an HTML report with every section', () => {
    const report = join(dir, 'report.html');
    const r = lowbit(['eval', quantizedCnn, '--reference', floatCnn, '--data', 'random', '--samples', '2', '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(report, 'utf8');
    for (const id of ['summary', 'sizes', 'fidelity', 'per-layer', 'left-in-float', 'latency']) expect(html).toContain(`<section id="${id}">`);
  });
});

describe('lowbit quantize --labels', () => {
  it('gives top-1 of the float and the quantized model on labelled data, as by hand', () => {
    // The identity weights quantize exactly (1 → 127 × 1/127), so both models score as the data does.
    const out = join(dir, 'classifier.w8.onnx');
    const r = lowbit(['quantize', classifier, '-o', out, '--mode', 'weights-int8', '--data', data, '--labels', labels, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    const expected = { output: 'scores_out', classes: 10, labelled: 5, correctTop1: 2, top1: 0.4, correctTop5: 4, top5: 0.8 };
    expect(json.verify.accuracy).toEqual({ float: expected, quantized: expected });
    const text = lowbit(['quantize', classifier, '-o', out, '--mode', 'weights-int8', '--data', data, '--labels', labels]);
    expect(text.stdout).toContain("top-1 on the labels, output 'scores_out': float 40.00% (2/5), quantized 40.00% (2/5) (+0.00 points)");
  });

  it('times float against quantized as part of verification, and --no-timing skips it', () => {
    const out = join(dir, 'classifier.timed.onnx');
    const r = lowbit(['quantize', classifier, '-o', out, '--mode', 'weights-int8', '--data', data, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const latency = JSON.parse(r.stdout).verify.latency;
    expect(latency.runs).toBeGreaterThanOrEqual(3);
    expect(latency.threads).toBe(2);
    expect(latency.floatMs).toBeGreaterThan(0);
    expect(latency.quantizedMs).toBeGreaterThan(0);
    expect(latency.ratio).toBeGreaterThan(0);
    // The warning comes exactly when the quantized model measured no faster.
    expect(latency.warning === undefined).toBe(latency.ratio < 1);
    const text = lowbit(['quantize', classifier, '-o', out, '--mode', 'weights-int8', '--data', data]);
    expect(text.stdout).toMatch(/latency [\d.]+× float's \((?:[\d.]+× faster|slower|no faster)\): [\d.]+ ms against [\d.]+ ms, median of \d+ interleaved runs, 2 threads, this machine/);
    const untimed = lowbit(['quantize', classifier, '-o', out, '--mode', 'weights-int8', '--data', data, '--no-timing', '--json']);
    expect(untimed.code, untimed.stderr).toBe(0);
    expect(JSON.parse(untimed.stdout).verify.latency).toBeUndefined();
  });

  it('refuses --labels without --data, and a label file that does not match the data', () => {
    const out = join(dir, 'classifier.w8b.onnx');
    const noData = lowbit(['quantize', classifier, '-o', out, '--mode', 'weights-int8', '--labels', labels]);
    expect(noData.code).toBe(2);
    expect(noData.stderr).toContain('--labels needs --data');
    const short = join(dir, 'short-labels.npy');
    writeFileSync(short, encodeNpy({ dtype: DataType.INT64, dims: [3], data: BigInt64Array.from([1n, 2n, 3n]) }));
    const mismatch = lowbit(['quantize', classifier, '-o', out, '--mode', 'weights-int8', '--data', data, '--labels', short]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(`${short} holds 3 labels, but the data gives more samples than that`);
    expect(existsSync(out)).toBe(false);
  });
});

describe('lowbit bench', () => {
  it('prints median, p10, p90 and the ratio to the first model as stable JSON', () => {
    const r = lowbit(['bench', floatCnn, quantizedCnn, '--runs', '5', '--warmup', '1', '--threads', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ threads: 1, spinning: 'during-runs', runs: 5, warmup: 1, feeds: { x: { dtype: 'float32', dims: [1, 3, 16, 16] } } });
    expect(out.models.map((m: { path: string }) => m.path)).toEqual([floatCnn, quantizedCnn]);
    for (const m of out.models) {
      expect(Object.keys(m).sort()).toEqual(['maxMs', 'meanMs', 'medianMs', 'minMs', 'p10Ms', 'p90Ms', 'path', 'ratio', 'runs']);
      expect(m.minMs).toBeLessThanOrEqual(m.p10Ms);
      expect(m.p10Ms).toBeLessThanOrEqual(m.medianMs);
      expect(m.medianMs).toBeLessThanOrEqual(m.p90Ms);
    }
    expect(out.models[0].ratio).toBe(1);
    // The median of per-round ratios: within what the fastest and slowest runs allow.
    const [first, second] = out.models;
    expect(second.ratio).toBeGreaterThanOrEqual(second.minMs / first.maxMs);
    expect(second.ratio).toBeLessThanOrEqual(second.maxMs / first.minMs);
  });

  it('times on the first sample of --data and sizes symbolic dims with --dim', () => {
    const r = lowbit(['bench', classifier, '--data', data, '--runs', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ inputs: `first sample of ${data}`, feeds: { x: { dims: [1, CLASSES] } } });
    const text = lowbit(['bench', classifier, '--runs', '2']);
    expect(text.stdout).toMatch(/time ratio to first[\s\S]*1\.00 \(baseline\)/);
    const spinning = lowbit(['bench', classifier, '--runs', '2', '--spin', '--threads', '2']);
    expect(spinning.code, spinning.stderr).toBe(0);
    expect(spinning.stdout).toMatch(/2 thread\(s\) \(spinning always\)/);
    const off = lowbit(['bench', classifier, '--runs', '2', '--spin', 'off', '--json']);
    expect(off.code, off.stderr).toBe(0);
    expect(JSON.parse(off.stdout)).toMatchObject({ spinning: 'off' });
    const bad = lowbit(['bench', classifier, '--runs', '2', '--spin', 'sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--spin 'sometimes' is not a spinning policy: use during-runs, always, off");
    const swallowed = lowbit(['bench', '--spin', classifier, classifier, '--runs', '1']);
    expect(swallowed.code).toBe(2);
    expect(swallowed.stderr).toContain(`a bare --spin took the model path '${classifier}' as its value: write --spin=always, or put --spin after the models`);
  });
});

describe('integer arrays for a float input', () => {
  it('eval, bench and quantize say they are fed unscaled, naming the file and input; float arrays get no such note', () => {
    const bytes = join(dir, 'uint8-data');
    mkdirSync(bytes, { recursive: true });
    writeFileSync(join(bytes, 'a.npy'), encodeNpy({ dtype: DataType.UINT8, dims: [2, CLASSES], data: Uint8Array.from({ length: 2 * CLASSES }, (_, i) => (i * 37) % 256) }));
    const note = `${join(bytes, 'a.npy')} holds uint8 values for float input 'x': they are fed as they are, not scaled`;
    const evaluated = lowbit(['eval', classifier, '--data', bytes, '--reference', classifier, '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).notes.join('\n')).toContain(note);
    const timed = lowbit(['bench', classifier, '--data', bytes, '--runs', '1']);
    expect(timed.code, timed.stderr).toBe(0);
    expect(timed.stderr).toContain(`note: ${note}`);
    const out = join(dir, 'classifier-dyn.onnx');
    const quantized = lowbit(['quantize', classifier, '-o', out, '--mode', 'dynamic', '--data', bytes, '--json']);
    expect(quantized.code, quantized.stderr).toBe(0);
    expect(JSON.parse(quantized.stdout).notes.join('\n')).toContain(note);
    const floats = lowbit(['eval', classifier, '--data', data, '--reference', classifier, '--json']);
    expect(floats.code, floats.stderr).toBe(0);
    expect(JSON.parse(floats.stdout).notes.join('\n')).not.toContain('not scaled');
  });
});

describe('eval and bench on bad input', () => {
  const expectClean = (r: { stderr: string }) => expect(r.stderr).not.toMatch(/\n\s+at /);

  it('exits 2 when --data is missing, naming the option', () => {
    const r = lowbit(['eval', classifier]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("required option '--data <source>' not specified");
  });

  it('exits 2 when the labels do not match the samples, naming the file and both counts', () => {
    const short = join(dir, 'short.npy');
    writeFileSync(short, encodeNpy({ dtype: DataType.INT32, dims: [3], data: Int32Array.from([0, 1, 2]) }));
    const r = lowbit(['eval', classifier, '--data', data, '--labels', short]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${short} holds 3 labels, but the data gives more samples than that`);
    expectClean(r);
    const missing = lowbit(['eval', classifier, '--data', data, '--labels', join(dir, 'nope.npy')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.npy: cannot read the labels: no such file');
  });

  it('exits 1 on a model file that does not exist, naming it, for eval and bench', () => {
    const ghost = join(dir, 'ghost.onnx');
    for (const args of [['eval', ghost, '--data', 'random'], ['eval', classifier, '--reference', ghost, '--data', 'random'], ['bench', classifier, ghost]]) {
      const r = lowbit(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`${ghost}: cannot read the model: no such file`);
      expectClean(r);
    }
  });

  it('exits 2 on options that contradict or make no sense', () => {
    const cases: [string[], string][] = [
      [['eval', classifier, '--data', 'random', '--per-layer'], '--per-layer compares each model with its float twin'],
      [['eval', classifier, classifier, '--reference', classifier, '--data', 'random', '--report', join(dir, 'r.html')], '--report describes one quantized model'],
      [['bench', classifier, '--runs', '0'], '--runs must be a whole number of at least 1'],
      [['bench', classifier, '--warmup', 'x'], '--warmup must be a whole number'],
      [['eval', classifier, '--reference', classifier, '--data', 'random', '--scores-output', 'scores'], '--scores-output names the output read as class scores for --labels'],
      [['eval', classifier, '--reference', classifier, '--data', 'random', '--per-layer-samples', '2'], '--per-layer-samples is for --per-layer'],
      [['bench', classifier, '--preprocess', 'mean=0.5'], '--preprocess turns images from --data into inputs'],
      [['bench', classifier, '--runs', '1e1'], "--runs must be a whole number of at least 1, got '1e1'"],
      [['inspect', classifier, '--top', ''], "--top must be a whole number of at least 0, got ''"],
      [['quantize', classifier, '-o', join(dir, 'never.onnx'), '--mode', 'weights-int8', '--samples', '0x10'], "--samples must be a whole number of at least 1, got '0x10'"],
      [['eval', classifier, '--reference', classifier, '--data', join(dir, 'no-such-folder')], 'no-such-folder\' does not exist'],
      [['eval', classifier, '--data', 'random'], 'nothing to measure: give --labels'],
    ];
    for (const [args, message] of cases) {
      const r = lowbit(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect(existsSync(join(dir, 'r.html'))).toBe(false);
  });
});
