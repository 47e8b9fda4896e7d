import { countInside, countOutside } from './count-bins.js';
import { finiteRange } from './finite-range.js';

/**
 * Bins a histogram holds. Bin widths are powers of two, so the data's range covers between half and
 * all of them: 2048 bins at least, as TensorRT's entropy calibrator uses.
 */
export const HISTOGRAM_SLOTS = 4096;

/** A finished histogram: `counts[i]` values fell in [start + i·width, start + (i+1)·width). */
export interface Histogram {
  counts: Float64Array;
  start: number;
  width: number;
  /** Exact extremes of the finite values seen. */
  min: number;
  max: number;
  /** Finite values counted; NaN and ±Inf are left out and counted in `nonFinite`. */
  total: number;
  nonFinite: number;
}

/**
 * A histogram that merges batches as they arrive, in fixed memory. Bins are [k·w, (k+1)·w) with
 * w = 2^e: the edges lie on a grid through 0 (no bin straddles zero, where ReLU piles its mass), and
 * when a value falls outside, doubling w merges bins pairwise with no loss. The width is always the
 * smallest power of two that fits everything seen, so the result equals a histogram of all the
 * data built at once, whatever the batches were.
 */
export class StreamingHistogram {
  private counts: Float64Array;
  /** Absolute bin index (⌊x / w⌋) of counts[0]. */
  private offset = 0;
  private exponent: number | undefined;
  private min = Infinity;
  private max = -Infinity;
  private total = 0;
  private nonFinite = 0;

  constructor(readonly slots = HISTOGRAM_SLOTS) {
    if (slots < 2 || slots % 2 !== 0) throw new RangeError(`histogram slots must be even and at least 2, not ${slots}`);
    this.counts = new Float64Array(slots);
  }

  /**
   * One pass in the usual case: values are counted into the current bins while the batch's extremes
   * are tracked. Only when some value fell outside (the range grew, or NaN/±Inf) are the bins
   * coarsened or moved and those values counted in a second pass.
   */
  observe(values: Float32Array): void {
    if (this.exponent === undefined) {
      const first = finiteRange(values);
      if (!(first.min <= first.max)) {
        this.nonFinite += values.length;
        return;
      }
      this.fit(first.min, first.max);
    }
    const scale = 2 ** -this.exponent!;
    const offset = this.offset;
    const pass = countInside(values, this.counts, scale, offset);
    let { min, max } = pass;
    if (min === -Infinity || max === Infinity) ({ min, max } = finiteRange(values));
    let counted = values.length - pass.outside;
    if (min <= max) {
      this.min = Math.min(this.min, min);
      this.max = Math.max(this.max, max);
    }
    if (pass.outside > 0 && min <= max) {
      this.fit(this.min, this.max);
      counted += countOutside(values, scale, offset, this.counts, 2 ** -this.exponent!, this.offset);
    }
    this.total += counted;
    this.nonFinite += values.length - counted;
  }

  /** The occupied bins, trimmed to [min, max]; undefined when nothing finite was seen. */
  snapshot(): Histogram | undefined {
    if (this.exponent === undefined || this.total === 0) return undefined;
    const width = 2 ** this.exponent;
    const first = Math.floor(this.min / width) - this.offset;
    const last = Math.floor(this.max / width) - this.offset;
    return {
      counts: this.counts.slice(first, last + 1),
      start: (this.offset + first) * width,
      width,
      min: this.min,
      max: this.max,
      total: this.total,
      nonFinite: this.nonFinite,
    };
  }

  /** Memory held, which must not grow with the number of samples. */
  retainedBytes(): number {
    return this.counts.byteLength;
  }

  /** Make the bins cover [lo, hi] (which includes everything seen so far): coarsen, then slide. */
  private fit(lo: number, hi: number): void {
    const needed = Math.max(this.exponent ?? -Infinity, smallestExponent(lo, hi, this.slots));
    const scale = 2 ** -needed;
    const first = Math.floor(lo * scale);
    const last = Math.floor(hi * scale);
    if (needed === this.exponent && first >= this.offset && last < this.offset + this.slots) return;
    const start = first - Math.floor((this.slots - (last - first + 1)) / 2);
    const moved = new Float64Array(this.slots);
    if (this.exponent !== undefined) {
      // Old bin k lies inside new bin ⌊k / 2^shift⌋: edges on the finer grid include the coarser one's.
      const factor = 2 ** (this.exponent - needed);
      for (let j = 0; j < this.slots; j++) {
        const c = this.counts[j]!;
        if (c !== 0) moved[Math.floor((this.offset + j) * factor) - start] += c;
      }
    }
    this.counts = moved;
    this.offset = start;
    this.exponent = needed;
  }
}

/**
 * The smallest e such that [lo, hi] spans at most `slots` bins of width 2^e. Bins are never made
 * finer than 2^-40 of the largest magnitude (absolute indices stay exact in a double), nor than
 * float32's smallest subnormal when everything seen is zero.
 */
export function smallestExponent(lo: number, hi: number, slots: number): number {
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
  const floor = magnitude > 0 ? Math.floor(Math.log2(magnitude)) - 40 : -149;
  let e = hi > lo ? Math.max(floor, Math.ceil(Math.log2((hi - lo) / slots)) - 1) : floor;
  while (Math.floor(hi * 2 ** -e) - Math.floor(lo * 2 ** -e) + 1 > slots) e++;
  return e;
}
