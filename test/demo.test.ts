// `lowbit demo` as a user runs it, on a tiny setting (a few hundred digits, one epoch) so that it
// finishes in seconds; the full run's figures are measured by hand (see the report of issue 7).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusData, skipWithReason } from './helpers/corpus.js';
import { lowbit, type CliResult } from './helpers/cli.js';
import { tempDir } from './helpers/temp-dir.js';

const MNIST = corpusData('mnist');
const ABSENT = 'MNIST is absent (.corpus/data/mnist); run `npm run corpus`';
const TINY = ['--limit', '500', '--epochs', '1', '--qat-epochs', '1', '--bench-runs', '10'];
const LABELS = ['fp32', 'int8 post-training', 'int8 QAT', 'int8 QAT, 8-bit loss'];

let out: string;
let first: CliResult & { seconds: number };

beforeAll(() => {
  out = tempDir('demo');
  if (!MNIST) return;
  const start = performance.now();
  first = { ...lowbit(['demo', '--out', out, ...TINY, '--json']), seconds: (performance.now() - start) / 1000 };
}, 300_000);

interface DemoJson {
  data: { digits: number; train: number; test: number; seed: number };
  settings: { epochs: number; qatEpochs: number; reduceRange: boolean; reduceRangeReason: string };
  rows: { key: string; label: string; file: string; bytes: number; top1: number; correct: number; labelled: number; deltaPoints: number; latencyMs: { medianMs: number }; batchedMsPerDigit: number; fakeQuant?: { top1: number; agreement: number }; training?: { cached: boolean } }[];
  quantizedLoss: { lossScale: number; saturated: number; vanished: number };
  page: string;
  seconds: number;
}

describe('lowbit demo', () => {
  it('trains, quantizes and measures on a tiny setting, quickly, and prints one JSON object with every field of the table', (ctx) => {
    if (!MNIST) return skipWithReason(ctx, ABSENT);
    expect(first.code, first.stderr).toBe(0);
    expect(first.seconds).toBeLessThan(120);
    const json = JSON.parse(first.stdout) as DemoJson;
    expect(json.data).toEqual({ source: expect.any(String), digits: 10_000, train: 400, test: 100, seed: 1 });
    expect(json.rows.map((r) => r.label)).toEqual(LABELS);
    for (const row of json.rows) {
      expect(row.top1).toBeGreaterThan(0.1); // one epoch on 400 digits: far from perfect, above chance
      expect(row.labelled).toBe(100);
      expect(row.bytes).toBe(statSync(row.file).size);
      expect(row.latencyMs.medianMs).toBeGreaterThan(0);
      expect(row.batchedMsPerDigit).toBeGreaterThan(0);
    }
    // int8 files are about a quarter of the float one.
    for (const row of json.rows.slice(1)) expect(row.bytes / json.rows[0]!.bytes).toBeLessThan(0.35);
    for (const row of json.rows.slice(2)) expect(row.fakeQuant!.agreement).toBeGreaterThanOrEqual(0.98);
    expect(json.quantizedLoss.lossScale).toBe(32);
    expect(existsSync(json.page)).toBe(true);
    expect(existsSync(join(out, 'demo.json'))).toBe(true);
    // With --json and stderr not a terminal, progress is left out, as in lowbit's other commands.
    expect(first.stderr).toBe('');
  });

  it('shows its progress on stderr as it goes', (ctx) => {
    if (!MNIST) return skipWithReason(ctx, ABSENT);
    const r = lowbit(['demo', '--out', join(out, 'fresh'), '--limit', '200', '--epochs', '1', '--qat-epochs', '1', '--bench-runs', '5']);
    expect(r.code, r.stderr).toBe(0);
    for (const step of [/^MNIST: 10000 digits/m, /training fp32 LeNet: 1 epoch\(s\) in/, /post-training int8: calibrated on/, /^QAT int8: 1 epoch/m, /QAT int8, 8-bit loss \(Q = 32\): 1 epoch/, /evaluating 4 models/, /timing 4 models/]) expect(r.stderr).toMatch(step);
  });

  it('takes the trained networks from its folder the second time, and prints the table', (ctx) => {
    if (!MNIST) return skipWithReason(ctx, ABSENT);
    const again = lowbit(['demo', '--out', out, ...TINY]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/training fp32 LeNet: taken from the cache/);
    expect(again.stderr).not.toMatch(/steps ·/);
    const lines = again.stdout.split('\n');
    const header = lines.find((l) => l.includes('model') && l.includes('top-1'))!;
    for (const column of ['top-1', 'Δ vs fp32', 'model bytes', 'latency / image']) expect(header).toContain(column);
    for (const label of LABELS) expect(lines.some((l) => l.trimStart().startsWith(label))).toBe(true);
    expect(again.stdout).toMatch(/wrote .*demo\.html/);
    // Same networks, same held-out digits: the same top-1.
    const before = JSON.parse(first.stdout) as DemoJson;
    const after = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8')) as DemoJson;
    expect(after.rows.map((r) => r.correct)).toEqual(before.rows.map((r) => r.correct));
    expect(after.rows[0]!.training!.cached).toBe(true);
  });

  it('says how to get MNIST when it is absent, and exits 1', () => {
    const r = lowbit(['demo', '--out', out, '--mnist', join(out, 'no-such-folder')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MNIST is absent/);
    expect(r.stderr).toMatch(/npm run corpus/);
    expect(r.stdout).toBe('');
  });

  it.each([
    [['--loss-scale', '200'], /--loss-scale must be in \(0, 127\]/],
    [['--epochs', '0'], /--epochs must be a whole number of at least 1/],
    [['--reduce-range', 'maybe'], /--reduce-range takes auto, on or off/],
  ])('refuses bad options with exit code 2: %s', (args, message) => {
    const r = lowbit(['demo', '--out', out, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
