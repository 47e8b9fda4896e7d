import type { Histogram } from './histogram.js';

/**
 * Running sums over the bins (entry i covers bins [0, i)), so that any run of bins is summed in
 * O(1): the range searches then cost O(levels) per candidate instead of O(bins).
 */
export interface BinSums {
  /** Σ n: how many values. */
  count: Float64Array;
  /** Σ n·u and Σ n·u², u = bin centre in bin widths from the histogram's start. */
  moment1: Float64Array;
  moment2: Float64Array;
  /** Σ n·ln n, for entropies. */
  nLogN: Float64Array;
  /** How many bins are not empty. */
  occupied: Float64Array;
}

export function binSums(h: Histogram): BinSums {
  const n = h.counts.length;
  const sums: BinSums = {
    count: new Float64Array(n + 1),
    moment1: new Float64Array(n + 1),
    moment2: new Float64Array(n + 1),
    nLogN: new Float64Array(n + 1),
    occupied: new Float64Array(n + 1),
  };
  for (let i = 0; i < n; i++) {
    const c = h.counts[i]!;
    const u = i + 0.5;
    sums.count[i + 1] = sums.count[i]! + c;
    sums.moment1[i + 1] = sums.moment1[i]! + c * u;
    sums.moment2[i + 1] = sums.moment2[i]! + c * u * u;
    sums.nLogN[i + 1] = sums.nLogN[i]! + xLogX(c);
    sums.occupied[i + 1] = sums.occupied[i]! + (c > 0 ? 1 : 0);
  }
  return sums;
}

export function xLogX(x: number): number {
  return x > 0 ? x * Math.log(x) : 0;
}
