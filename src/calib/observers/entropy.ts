import { binSums, xLogX } from './bin-sums.js';
import { LevelRuns, type ActivationGrid } from './grid.js';
import type { Histogram } from './histogram.js';
import type { Range } from './observer.js';
import { searchRange } from './range-search.js';

/** Mass given to a bin that P fills and Q leaves empty (onnxruntime smooths with 1e-4 likewise). */
const EMPTY_MASS = 1e-4;

/**
 * The range whose quantized histogram loses the least information: KL(P ‖ Q), TensorRT's entropy
 * calibration (onnxruntime's Entropy calibrator) on lowbit's real grid. For a candidate [lo, hi]
 * over bins [a, b):
 *  - P, the reference: the bins a..b−1, with the values below and above folded into the end bins;
 *  - Q, the candidate: the same bins without the folded values, each grid level's total spread
 *    evenly over that level's non-empty bins (bins go to the level their centre rounds to);
 *  - both normalised; KL = Σ p ln(p / q).
 * TensorRT and the peer merge a fixed 128 bins per level around a symmetric threshold; here the
 * levels are the ones the quantizer will use (256 over [lo, hi] for uint8), so a ReLU output is
 * judged on all 256 levels rather than half of them.
 */
export function entropyRange(h: Histogram, grid: ActivationGrid): Range {
  return searchRange(h, grid, klCost(withoutZeroSpike(h), grid));
}

/**
 * The bin [0, w) with its count capped at its fuller neighbour's. ReLU and padding put a large share
 * of the values at exactly 0, which every candidate grid represents exactly; left in, the spike
 * spread over level 0's bins dominates the divergence and drives the range down until level 0 holds
 * one bin. TensorRT's calibrator sets its zero bin to its neighbour's count for the same reason.
 */
export function withoutZeroSpike(h: Histogram): Histogram {
  const zero = Math.round(-h.start / h.width);
  if (zero < 0 || zero >= h.counts.length) return h;
  const neighbours = Math.max(h.counts[zero - 1] ?? 0, h.counts[zero + 1] ?? 0);
  const excess = h.counts[zero]! - neighbours;
  if (!(excess > 0) || neighbours === 0) return h;
  const counts = h.counts.slice();
  counts[zero] = neighbours;
  return { ...h, counts, total: h.total - excess };
}

/** KL(P ‖ Q) for the range [lo, hi], in O(levels) with running sums. */
export function klCost(h: Histogram, grid: ActivationGrid): (lo: number, hi: number) => number {
  const { count, nLogN, occupied } = binSums(h);
  const runs = new LevelRuns(h, grid);
  const n = h.counts.length;
  // Candidate ends are bin edges, or the exact min and max, which keep their whole end bin.
  const clampEdge = (e: number) => Math.min(n, Math.max(0, e));
  return (lo, hi) => {
    const a = clampEdge(Math.floor((lo - h.start) / h.width));
    const b = clampEdge(Math.ceil((hi - h.start) / h.width));
    if (b - a < 2) return Infinity;
    const kept = count[b]! - count[a]!;
    if (!(kept > 0)) return Infinity;
    const below = count[a]!;
    const above = h.total - count[b]!;
    const firstCount = h.counts[a]!;
    const lastCount = h.counts[b - 1]!;
    // Σ p ln p, with the end bins carrying the folded values.
    const pLogP = nLogN[b]! - nLogN[a]! - xLogX(firstCount) - xLogX(lastCount) + xLogX(firstCount + below) + xLogX(lastCount + above);
    // Σ p ln q: within a level q is the level's kept mass over its occupied bins.
    let pLogQ = 0;
    runs.split(lo, hi, a, b);
    for (let r = 0; r < runs.count; r++) {
      const from = runs.starts[r]!;
      const to = runs.starts[r + 1]!;
      const mass = count[to]! - count[from]!;
      let p = mass;
      let bins = occupied[to]! - occupied[from]!;
      if (from === a) {
        p += below;
        if (firstCount === 0 && below > 0) bins++;
      }
      if (to === b) {
        p += above;
        if (lastCount === 0 && above > 0) bins++;
      }
      if (p > 0) pLogQ += p * Math.log(Math.max(mass, EMPTY_MASS) / bins);
    }
    return (pLogP - pLogQ) / h.total - Math.log(h.total) + Math.log(kept);
  };
}
