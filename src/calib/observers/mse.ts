import { binSums } from './bin-sums.js';
import { LevelRuns, type ActivationGrid } from './grid.js';
import type { Histogram } from './histogram.js';
import type { Range } from './observer.js';
import { searchRange } from './range-search.js';

/**
 * The range whose quantization grid gives the least mean squared error over the histogram:
 * Σ n_i (c_i − Q(c_i))² / N, each bin's values taken at its centre c_i and Q the real quantizer for
 * that range (rounding inside, clipping to the end levels outside). Unlike entropy this weighs
 * errors by their size, so it clips rare outliers only when they are rare enough to be worth it.
 */
export function mseRange(h: Histogram, grid: ActivationGrid): Range {
  return searchRange(h, grid, mseCost(h, grid));
}

/** Mean squared error of quantizing the histogram with the range [lo, hi], in O(levels). */
export function mseCost(h: Histogram, grid: ActivationGrid): (lo: number, hi: number) => number {
  const sums = binSums(h);
  const n = h.counts.length;
  const runs = new LevelRuns(h, grid);
  const { count, moment1, moment2 } = sums;
  return (lo, hi) => {
    runs.split(lo, hi, 0, n);
    let error = 0;
    for (let r = 0; r < runs.count; r++) {
      const from = runs.starts[r]!;
      const to = runs.starts[r + 1]!;
      // Σ n (u − d)² = Σ n u² − 2d Σ n u + d² Σ n, in bin widths from the start, d = the level.
      const d = (runs.values[r]! - h.start) / h.width;
      const c0 = count[to]! - count[from]!;
      const c1 = moment1[to]! - moment1[from]!;
      const c2 = moment2[to]! - moment2[from]!;
      error += Math.max(0, c2 - 2 * d * c1 + d * d * c0);
    }
    return (error * h.width * h.width) / h.total;
  };
}
