import { levelCount, type ActivationGrid } from './grid.js';
import type { Histogram } from './histogram.js';
import type { Range } from './observer.js';

/** What quantizing with the real range [lo, hi] would cost; lower is better. */
export type RangeCost = (lo: number, hi: number) => number;

/** Candidates per end in the first, coarse pass; finer passes then look around the best. */
const COARSE = 64;
/** Each finer pass divides the step by this. */
const REFINE = 4;

/**
 * The range with the lowest cost among ranges whose ends are bin edges (the histogram's ends being
 * the exact min and max). A range must span at least one bin per grid level, as TensorRT's search
 * starts at 128 bins for 128 levels: below that the histogram cannot tell what rounding costs.
 * Symmetric grids search one threshold T for [−T, T]; asymmetric grids search both ends: ranges
 * shrunk proportionally around 0 first, then each end in turn with the other held until neither
 * moves. Both go coarse to fine (64 steps, then ÷4 around the best) so that a search costs about a
 * thousand candidates whatever the bin count. Ties keep the wider range: clipping must earn its place.
 */
export function searchRange(h: Histogram, grid: ActivationGrid, cost: RangeCost): Range {
  const n = h.counts.length;
  const minSpan = levelCount(grid);
  const full: Range = { min: h.min, max: h.max };
  if (grid.symmetric) {
    const reach = Math.max(Math.abs(h.min), Math.abs(h.max));
    const top = Math.ceil(reach / h.width);
    const lowest = Math.ceil(minSpan / 2);
    if (top <= lowest) return full;
    // Threshold j·w for j < top; j = top is the exact extreme.
    const threshold = (j: number) => Math.min(reach, j * h.width);
    let best = { j: top, cost: cost(-reach, reach) };
    const tryThreshold = (j: number) => {
      if (j < lowest || j > top) return false;
      const c = cost(-threshold(j), threshold(j));
      if (!(c < best.cost)) return false;
      best = { j, cost: c };
      return true;
    };
    for (let step = Math.ceil((top - lowest) / COARSE), around = top - lowest; ; around = step, step = Math.max(1, Math.floor(step / REFINE))) {
      const centre = best.j;
      for (let j = Math.min(top, centre + around); j >= centre - around; j -= step) tryThreshold(j);
      if (step === 1) break;
    }
    const t = threshold(best.j);
    return { min: Math.max(h.min, -t), max: Math.min(h.max, t) };
  }

  const value = (edge: number) => Math.min(h.max, Math.max(h.min, h.start + edge * h.width));
  const span = (lo: number, hi: number) => (Math.max(hi, 0) - Math.min(lo, 0)) / h.width;
  if (span(h.min, h.max) <= minSpan) return full;
  const zero = Math.min(n, Math.max(0, Math.round(-h.start / h.width)));
  let best = { lower: 0, upper: n, cost: cost(h.min, h.max) };
  const tryEnds = (lower: number, upper: number): boolean => {
    if (lower < 0 || lower > zero || upper < zero || upper > n) return false;
    const lo = value(lower);
    const hi = value(upper);
    if (span(lo, hi) < minSpan) return false;
    const c = cost(lo, hi);
    if (!(c < best.cost)) return false;
    best = { lower, upper, cost: c };
    return true;
  };
  for (let t = COARSE - 1; t >= 1; t--) tryEnds(zero - Math.round((zero * t) / COARSE), zero + Math.round(((n - zero) * t) / COARSE));
  const side = Math.max(zero, n - zero);
  for (let step = Math.ceil(side / COARSE), around = side; ; around = step, step = Math.max(1, Math.floor(step / REFINE))) {
    // Coordinate descent at this step, within `around` of where the previous step ended.
    for (let round = 0; round < 8; round++) {
      let moved = false;
      const { lower, upper } = best;
      for (let u = upper + around; u >= upper - around; u -= step) moved = tryEnds(best.lower, u) || moved;
      for (let l = lower - around; l <= lower + around; l += step) moved = tryEnds(l, best.upper) || moved;
      if (!moved) break;
    }
    if (step === 1) break;
  }
  return { min: value(best.lower), max: value(best.upper) };
}
