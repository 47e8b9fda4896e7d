import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../ir/builder.js';
import { DataType } from '../ir/dtype.js';
import { float32Tensor } from '../ir/tensor/values.js';
import type { Dim } from '../ir/types.js';
import { encodeModel } from '../serde/encode.js';
import { decodeModel } from '../serde/decode.js';
import { encodeNpy } from '../data/npy.js';
import { openSource } from '../node/data-sources.js';
import { createNodeRunner } from '../runner/ort-node.js';
import type { Runner } from '../runner/runner.js';
import { evaluateRunners } from './evaluate.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const CLASSES = 12;

/**
 * Seven rows of twelve scores, each with its label and whether the label is top-1 / top-5 by hand:
 * ties in the scores go to the lowest index, for top-1 and top-5 alike.
 */
const ROWS: { scores: number[]; label: number; top1: boolean; top5: boolean }[] = [
  { scores: row({ 3: 5 }), label: 3, top1: true, top5: true },
  { scores: row({}), label: 0, top1: true, top5: true }, // all tied: index 0 wins
  { scores: row({}), label: 7, top1: false, top5: false }, // all tied: seven indices come first
  { scores: row({}), label: 4, top1: false, top5: true }, // all tied: four come first, so fifth
  { scores: row({ 2: 9, 5: 9 }), label: 5, top1: false, top5: true }, // tie with index 2, which is lower
  { scores: row({ 2: 9, 5: 9 }), label: 2, top1: true, top5: true },
  { scores: Array.from({ length: CLASSES }, (_, i) => CLASSES - i), label: 6, top1: false, top5: false },
];

function row(set: Record<number, number>): number[] {
  return Array.from({ length: CLASSES }, (_, i) => set[i] ?? 0);
}

/** scores = x · I: the model hands the scores through, so the expected ranks are those above. */
function passThroughModel(batch: Dim): Uint8Array {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [batch, CLASSES]);
  const eye = float32Tensor([CLASSES, CLASSES], Float32Array.from({ length: CLASSES * CLASSES }, (_, i) => (i % (CLASSES + 1) === 0 ? 1 : 0)));
  b.output(b.op('MatMul', [x, b.initializer('eye', eye)], { name: 'scores' }), DataType.FLOAT, [batch, CLASSES]);
  return encodeModel(b.model);
}

/** The rows in two .npy files of several samples each, so that batch splitting is exercised. */
function dataFolder(): string {
  const dir = tempDir('eval');
  const write = (name: string, rows: typeof ROWS) =>
    writeFileSync(join(dir, name), encodeNpy({ dtype: DataType.FLOAT, dims: [rows.length, CLASSES], data: Float32Array.from(rows.flatMap((r) => r.scores)) }));
  write('a.npy', ROWS.slice(0, 4));
  write('b.npy', ROWS.slice(4));
  return dir;
}

async function withRunner<T>(bytes: Uint8Array, work: (r: Runner) => Promise<T>): Promise<T> {
  const runner = await createNodeRunner(bytes, { threads: 1 });
  try {
    return await work(runner);
  } finally {
    await runner.dispose();
  }
}

describe('evaluateRunners', () => {
  it.each([
    ['a batch dim fixed at 1', 1],
    ['a symbolic batch dim', 'batch'],
  ] as const)('counts top-1 and top-5 as by hand, splitting many-sample .npy files, with %s', async (_, batch) => {
    const bytes = passThroughModel(batch);
    const source = openSource(dataFolder(), decodeModel(bytes));
    const labels = ROWS.map((r) => r.label);
    const result = await withRunner(bytes, (runner) => evaluateRunners([{ name: 'm', runner }], source, { labels, labelsFile: 'labels.npy' }));
    const top1 = ROWS.filter((r) => r.top1).length;
    const top5 = ROWS.filter((r) => r.top5).length;
    expect(result.samples).toBe(ROWS.length);
    expect(result.models[0]!.accuracy).toEqual({ output: 'scores_out', classes: CLASSES, labelled: ROWS.length, correctTop1: top1, top1: top1 / ROWS.length, correctTop5: top5, top5: top5 / ROWS.length });
    expect([top1, top5]).toEqual([3, 5]);
  });

  it('compares each model with the reference and counts the reference\'s own accuracy', async () => {
    const bytes = passThroughModel(1);
    const source = openSource(dataFolder(), decodeModel(bytes));
    const [a, b] = [await createNodeRunner(bytes), await createNodeRunner(bytes)];
    try {
      const result = await evaluateRunners([{ name: 'copy', runner: b }], source, { labels: ROWS.map((r) => r.label), reference: { name: 'ref', runner: a } });
      expect(result.reference?.accuracy?.correctTop1).toBe(3);
      expect(result.models[0]!.fidelity).toEqual([{ name: 'scores_out', cosine: 1, sqnrDb: Infinity, maxAbsError: 0, meanAbsError: 0, top1Agreement: 1, nonFinite: 0, referenceNonFinite: 0 }]);
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });

  it('refuses labels that do not line up with the samples, naming the file', async () => {
    const bytes = passThroughModel(1);
    const source = openSource(dataFolder(), decodeModel(bytes));
    await withRunner(bytes, async (runner) => {
      await expect(evaluateRunners([{ name: 'm', runner }], source, { labels: [1, 2, 3], labelsFile: 'few.npy' })).rejects.toThrow(/few\.npy holds 3 labels, but the data gives more samples/);
      await expect(evaluateRunners([{ name: 'm', runner }], source, { labels: new Array(9).fill(0), labelsFile: 'many.npy' })).rejects.toThrow(/many\.npy holds 9 labels, but the data gave 7 samples/);
      await expect(evaluateRunners([{ name: 'm', runner }], source, { labels: new Array(7).fill(12), labelsFile: 'big.npy' })).rejects.toThrow(/label 12 at position 0 is outside the 12 classes/);
    });
  });
});
