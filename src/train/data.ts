import { DataType } from '../ir/dtype.js';
import type { SampleSource } from '../data/samples.js';
import { seededRandom } from '../util/random.js';
import { INPUT_NAME } from './spec.js';

/** Labelled samples in one flat array: sample i is images[i·sampleSize … (i+1)·sampleSize). */
export interface Dataset {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  /** Shape of one sample, e.g. [1, 28, 28]. */
  shape: number[];
  classes: number;
}

export function sampleSize(data: Dataset): number {
  return data.shape.reduce((a, b) => a * b, 1);
}

/** Float32Array over shared memory where the platform has it, so that worker threads read it without a copy. */
export function sharedFloats(length: number): Float32Array {
  return typeof SharedArrayBuffer === 'function' ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
}

export function sharedBytes(length: number): Uint8Array {
  return typeof SharedArrayBuffer === 'function' ? new Uint8Array(new SharedArrayBuffer(length)) : new Uint8Array(length);
}

/** Fisher–Yates, in place, from a seeded generator. */
export function shuffleInPlace(indices: Int32Array, rand: () => number): Int32Array {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = indices[i]!;
    indices[i] = indices[j]!;
    indices[j] = t;
  }
  return indices;
}

/**
 * A fixed train/test split: the first `limit` (default all) samples of a seeded shuffle, of which
 * `testFraction` are held out. The same seed gives the same split on every machine.
 */
export function splitIndices(count: number, options: { seed: number; testFraction: number; limit?: number }): { train: Int32Array; test: Int32Array } {
  const order = shuffleInPlace(Int32Array.from({ length: count }, (_, i) => i), seededRandom(options.seed ^ 0x5eed));
  const used = order.subarray(0, Math.min(count, options.limit ?? count));
  const testCount = Math.round(used.length * options.testFraction);
  return { train: used.slice(testCount), test: used.slice(0, testCount) };
}

/** Copy the samples at `indices` into `out` (a batch) and their labels into `labels`. */
export function gatherBatch(data: Dataset, indices: ArrayLike<number>, out: Float32Array, labels: Uint8Array | Int32Array): void {
  const size = sampleSize(data);
  for (let i = 0; i < indices.length; i++) {
    const at = indices[i]!;
    out.set(data.images.subarray(at * size, (at + 1) * size), i * size);
    labels[i] = data.labels[at]!;
  }
}

/**
 * Like gatherBatch, with sample i moved by (shifts[2i], shifts[2i+1]) pixels along x and y, the
 * uncovered border filled with 0: translation, the augmentation that suits digits.
 */
export function gatherShifted(data: Dataset, indices: ArrayLike<number>, shifts: Int8Array, out: Float32Array, labels: Uint8Array | Int32Array): void {
  const [channels, H, W] = data.shape as [number, number, number];
  const size = channels * H * W;
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * size;
    const dst = i * size;
    const dx = shifts[2 * i]!;
    const dy = shifts[2 * i + 1]!;
    labels[i] = data.labels[indices[i]!]!;
    out.fill(0, dst, dst + size);
    const x0 = Math.max(0, dx);
    const x1 = Math.min(W, W + dx);
    for (let c = 0; c < channels; c++) {
      for (let y = Math.max(0, dy); y < Math.min(H, H + dy); y++) {
        const from = src + (c * H + y - dy) * W - dx;
        const to = dst + (c * H + y) * W;
        for (let x = x0; x < x1; x++) out[to + x] = data.images[from + x]!;
      }
    }
  }
}

/** The labels of `indices`, in order: what `lowbit eval`'s accuracy counts against. */
export function labelsOf(data: Dataset, indices: ArrayLike<number>): Int32Array {
  return Int32Array.from(indices as ArrayLike<number>, (i) => data.labels[i]!);
}

/**
 * Samples at `indices` as lowbit's SampleSource, in batches of `batch` along a leading axis, for
 * onnxruntime calibration and evaluation of the exported models.
 */
export function datasetSource(data: Dataset, indices: Int32Array, batch: number, label: string, inputName = INPUT_NAME): SampleSource {
  const size = sampleSize(data);
  return {
    label,
    size: Math.ceil(indices.length / batch),
    async *samples() {
      for (let start = 0; start < indices.length; start += batch) {
        const part = indices.subarray(start, Math.min(indices.length, start + batch));
        const x = new Float32Array(part.length * size);
        gatherBatch(data, part, x, new Uint8Array(part.length));
        yield { [inputName]: { dtype: DataType.FLOAT, dims: [part.length, ...data.shape], data: x } };
      }
    },
  };
}
