import { describe, expect, it } from 'vitest';
import { concatFloats, laplace } from '../../../test/helpers/distributions.js';
import { DataType } from '../../ir/dtype.js';
import { computeScaleZeroPoint } from '../../quant/scale-zero-point.js';
import { quantRange } from '../../quant/qtypes.js';
import { roundHalfToEven } from '../../quant/rounding.js';
import { UINT8_ASYMMETRIC, type ActivationGrid } from './grid.js';
import { StreamingHistogram, type Histogram } from './histogram.js';
import { mseCost, mseRange } from './mse.js';
import type { Range } from './observer.js';

const INT8_SYMMETRIC: ActivationGrid = { range: quantRange(DataType.INT8, { symmetric: true }), symmetric: true };

function histogramOf(values: Float32Array): Histogram {
  const h = new StreamingHistogram();
  h.observe(values);
  return h.snapshot()!;
}

/** Mean squared error of quantizing the data itself (QuantizeLinear then DequantizeLinear). */
function dataMse(data: Float32Array, r: Range, grid: ActivationGrid): number {
  const { scale, zeroPoint } = computeScaleZeroPoint(r.min, r.max, grid.range, grid.symmetric);
  let sum = 0;
  for (const x of data) {
    const q = Math.min(grid.range.qmax, Math.max(grid.range.qmin, roundHalfToEven(Math.fround(x / scale)) + zeroPoint));
    sum += (x - (q - zeroPoint) * scale) ** 2;
  }
  return sum / data.length;
}

describe('mse calibration', () => {
  it('computes the error of bin centres in O(levels) exactly as bin by bin', () => {
    const h = histogramOf(concatFloats([laplace(5000, 2), Float32Array.of(12)]));
    const grid: ActivationGrid = { range: { dtype: DataType.UINT8, qmin: 0, qmax: 7 }, symmetric: false };
    const cost = mseCost(h, grid);
    for (const [lo, hi] of [[h.min, h.max], [-2, 3], [-0.5, 0.25]] as const) {
      const { scale, zeroPoint } = computeScaleZeroPoint(lo, hi, grid.range);
      let sum = 0;
      h.counts.forEach((n, i) => {
        const c = h.start + (i + 0.5) * h.width;
        const q = Math.min(7, Math.max(0, roundHalfToEven(c / scale) + zeroPoint));
        sum += n * (c - (q - zeroPoint) * scale) ** 2;
      });
      expect(cost(lo, hi)).toBeCloseTo(sum / h.total, 12);
    }
  });

  it('finds a range as good as a brute-force search over the data', () => {
    // Heavy tails, with and without lone outliers: the best range is neither min/max nor obvious.
    const datasets = [laplace(4000, 4, 0.5), concatFloats([laplace(4000, 5, 0.5), Float32Array.of(14, -9, 11)])];
    for (const data of datasets) {
      const h = histogramOf(data);
      for (const grid of [UINT8_ASYMMETRIC, INT8_SYMMETRIC]) {
        const ours = dataMse(data, mseRange(h, grid), grid);
        let brute = Infinity;
        const steps = 60;
        for (let i = 1; i <= steps; i++) {
          for (let j = 1; j <= steps; j++) {
            if (grid.symmetric && i !== j) continue;
            const hi = (h.max * j) / steps;
            brute = Math.min(brute, dataMse(data, grid.symmetric ? { min: -hi, max: hi } : { min: (h.min * i) / steps, max: hi }, grid));
          }
        }
        expect(ours).toBeLessThanOrEqual(brute * 1.02);
        expect(ours).toBeLessThanOrEqual(dataMse(data, { min: h.min, max: h.max }, grid));
      }
    }
  });

  it('clips a Laplace distribution near the known 8-bit optimum (≈ 9.9 b, Banner et al.)', () => {
    const h = histogramOf(laplace(1_000_000, 8));
    const r = mseRange(h, INT8_SYMMETRIC);
    expect(r.max).toBeGreaterThan(8.5);
    expect(r.max).toBeLessThan(11.5);
  });
});
