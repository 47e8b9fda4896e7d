import { DataType } from '../../ir/dtype.js';
import { computeScaleZeroPoint } from '../../quant/scale-zero-point.js';
import { quantRange, type QuantRange } from '../../quant/qtypes.js';
import { roundHalfToEven } from '../../quant/rounding.js';
import type { Histogram } from './histogram.js';

/** The integer grid activations will be quantized onto: entropy and mse optimise for it. */
export interface ActivationGrid {
  range: QuantRange;
  symmetric: boolean;
}

/** lowbit's default for activations: uint8 [0, 255], asymmetric (a zero point). */
export const UINT8_ASYMMETRIC: ActivationGrid = { range: quantRange(DataType.UINT8), symmetric: false };

export function levelCount(grid: ActivationGrid): number {
  return grid.range.qmax - grid.range.qmin + 1;
}

/**
 * How the grid the quantizer builds for a real range [lo, hi] (widened to 0, centred when
 * symmetric, float32 scale) splits bins [first, end) of a histogram into levels. A bin goes to the
 * level its centre rounds to, so bins beyond the grid's ends go to the end levels (clipping).
 * After `split`, run r covers bins [starts[r], starts[r + 1]) and dequantizes to values[r]; empty
 * levels are left out. Buffers are reused across candidates: searches split thousands of times.
 */
export class LevelRuns {
  count = 0;
  readonly starts: Int32Array;
  readonly values: Float64Array;

  constructor(
    private readonly h: Histogram,
    private readonly grid: ActivationGrid,
  ) {
    this.starts = new Int32Array(levelCount(grid) + 1);
    this.values = new Float64Array(levelCount(grid));
  }

  split(lo: number, hi: number, first: number, end: number): void {
    const { start, width } = this.h;
    const { qmin, qmax } = this.grid.range;
    const { scale, zeroPoint } = computeScaleZeroPoint(lo, hi, this.grid.range, this.grid.symmetric);
    const levelOfBin = (i: number) => Math.min(qmax, Math.max(qmin, roundHalfToEven((start + (i + 0.5) * width) / scale) + zeroPoint));
    const lastLevel = levelOfBin(end - 1);
    let count = 0;
    let from = first;
    for (let k = levelOfBin(first); k <= lastLevel; k++) {
      // The first bin whose centre lies at or above the midpoint between levels k and k + 1.
      const to = k === lastLevel ? end : Math.min(end, Math.max(from, Math.ceil(((k + 0.5 - zeroPoint) * scale - start) / width - 0.5)));
      if (to > from) {
        this.starts[count] = from;
        this.values[count] = (k - zeroPoint) * scale;
        count++;
      }
      from = to;
    }
    this.starts[count] = end;
    this.count = count;
  }
}
