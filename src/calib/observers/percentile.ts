import type { Histogram } from './histogram.js';
import type { Range } from './observer.js';

/**
 * The range that leaves out the rarest (100 − p) % of values, defined as onnxruntime's Percentile
 * calibrator defines it:
 *  - symmetric grid (int8 symmetric): T = the p-th percentile of |x|, range [−T, T];
 *  - asymmetric grid (uint8, the default): (100 − p)/2 % is cut from each tail, range
 *    [quantile((100 − p)/200 %), quantile(100 − (100 − p)/200 %)].
 * Quantiles are read from the histogram with values spread evenly within their bin (the peer takes
 * the bin's lower edge, up to a bin off), then clamped to the exact extremes seen.
 */
export function percentileRange(h: Histogram, percentile: number, symmetric: boolean): Range {
  if (!(percentile > 0 && percentile <= 100)) throw new RangeError(`percentile must be in (0, 100], not ${percentile}`);
  if (symmetric) {
    const absolute = foldAbsolute(h);
    const t = quantile(absolute, percentile / 100);
    return { min: -t, max: t };
  }
  const tail = (100 - percentile) / 200;
  return { min: quantile(h, tail), max: quantile(h, 1 - tail) };
}

/** The value below which a fraction q of the counted values lie, interpolated within its bin. */
export function quantile(h: Histogram, q: number): number {
  const target = q * h.total;
  let below = 0;
  const counts = h.counts;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0 && below + c >= target) {
      const x = h.start + (i + (target - below) / c) * h.width;
      return Math.min(h.max, Math.max(h.min, x));
    }
    below += c;
  }
  return h.max;
}

/**
 * The histogram of |x|. Bin edges lie on multiples of the width, so bin [−(k+1)w, −kw) folds exactly
 * onto [kw, (k+1)w).
 */
export function foldAbsolute(h: Histogram): Histogram {
  const first = Math.round(h.start / h.width);
  const last = first + h.counts.length - 1;
  const counts = new Float64Array(Math.max(last + 1, -first));
  for (let i = 0; i < h.counts.length; i++) {
    const k = first + i;
    counts[k >= 0 ? k : -k - 1] += h.counts[i]!;
  }
  const crossesZero = h.min <= 0 && h.max >= 0;
  return {
    counts,
    start: 0,
    width: h.width,
    min: crossesZero ? 0 : Math.min(Math.abs(h.min), Math.abs(h.max)),
    max: Math.max(Math.abs(h.min), Math.abs(h.max)),
    total: h.total,
    nonFinite: h.nonFinite,
  };
}
