import { describe, expect, it } from 'vitest';
import { concatFloats, gaussian } from '../../../test/helpers/distributions.js';
import { seededRandom } from '../../util/random.js';
import { StreamingHistogram, type Histogram } from './histogram.js';
import { foldAbsolute, percentileRange, quantile } from './percentile.js';

function histogramOf(values: Float32Array): Histogram {
  const h = new StreamingHistogram();
  h.observe(values);
  return h.snapshot()!;
}

describe('percentile', () => {
  it('cuts (100 − p)/2 % from each tail on an asymmetric grid', () => {
    // 0, 1, …, 9999 once each: bins of width 4 hold 4 integers each.
    const h = histogramOf(Float32Array.from({ length: 10_000 }, (_, i) => i));
    expect(h.width).toBe(4);
    // 99 % kept: 50 values below the lower end, 50 above the upper.
    expect(percentileRange(h, 99, false)).toEqual({ min: 50, max: 9950 });
    expect(quantile(h, 0.5)).toBe(5000);
  });

  it('matches a uniform distribution at the default 99.99', () => {
    const rand = seededRandom(11);
    const h = histogramOf(Float32Array.from({ length: 1_000_000 }, () => rand()));
    const r = percentileRange(h, 99.99, false);
    expect(r.min).toBeCloseTo(0.00005, 4);
    expect(r.max).toBeCloseTo(0.99995, 4);
  });

  it('takes the p-th percentile of |x| on a symmetric grid', () => {
    // N(0, 1): P(|x| ≤ 2.5758) = 0.99. Outliers on one side only move the threshold a little.
    const h = histogramOf(concatFloats([gaussian(1_000_000, 5), Float32Array.from({ length: 20 }, () => 40)]));
    const r = percentileRange(h, 99, true);
    expect(r.max).toBeCloseTo(2.5758, 1);
    expect(r.min).toBe(-r.max);
  });

  it('gives the exact extremes at 100 and never goes past them', () => {
    const data = gaussian(50_000, 2, 3, 1);
    const h = histogramOf(data);
    expect(percentileRange(h, 100, false)).toEqual({ min: h.min, max: h.max });
    const r = percentileRange(h, 99.9, false);
    expect(r.min).toBeGreaterThan(h.min);
    expect(r.max).toBeLessThan(h.max);
    expect(() => percentileRange(h, 0, false)).toThrow(RangeError);
  });

  it('folds negative bins onto positive ones for |x|', () => {
    const h = histogramOf(Float32Array.of(-3, -0.5, 0, 1, 2));
    const folded = foldAbsolute(h);
    expect(folded.start).toBe(0);
    expect(folded.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect([folded.min, folded.max]).toEqual([0, 3]);
    expect(quantile(folded, 1)).toBe(3);
  });
});
