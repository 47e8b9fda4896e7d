import { describe, expect, it } from 'vitest';
import { concatFloats, gaussian } from '../../../test/helpers/distributions.js';
import { DataType } from '../../ir/dtype.js';
import { computeScaleZeroPoint } from '../../quant/scale-zero-point.js';
import { quantRange } from '../../quant/qtypes.js';
import { roundHalfToEven } from '../../quant/rounding.js';
import { entropyRange, klCost, withoutZeroSpike } from './entropy.js';
import { UINT8_ASYMMETRIC, type ActivationGrid } from './grid.js';
import { StreamingHistogram, type Histogram } from './histogram.js';

const INT8_SYMMETRIC: ActivationGrid = { range: quantRange(DataType.INT8, { symmetric: true }), symmetric: true };

function histogramOf(values: Float32Array): Histogram {
  const h = new StreamingHistogram();
  h.observe(values);
  return h.snapshot()!;
}

/** KL(P ‖ Q) built bin by bin, as the definition reads: the reference for the O(levels) version. */
function klByDefinition(h: Histogram, grid: ActivationGrid, a: number, b: number): number {
  const lo = h.start + a * h.width;
  const hi = h.start + b * h.width;
  const { scale, zeroPoint } = computeScaleZeroPoint(lo, hi, grid.range, grid.symmetric);
  const level = (i: number) => Math.min(grid.range.qmax, Math.max(grid.range.qmin, roundHalfToEven((h.start + (i + 0.5) * h.width) / scale) + zeroPoint));
  const p = Array.from(h.counts.slice(a, b));
  p[0]! += h.counts.slice(0, a).reduce((s, c) => s + c, 0);
  p[p.length - 1]! += h.counts.slice(b).reduce((s, c) => s + c, 0);
  const q = new Array<number>(p.length).fill(0);
  const mass = new Map<number, number>();
  const bins = new Map<number, number>();
  for (let i = a; i < b; i++) {
    mass.set(level(i), (mass.get(level(i)) ?? 0) + h.counts[i]!);
    if (p[i - a]! > 0) bins.set(level(i), (bins.get(level(i)) ?? 0) + 1);
  }
  for (let i = a; i < b; i++) if (p[i - a]! > 0) q[i - a] = Math.max(mass.get(level(i))!, 1e-4) / bins.get(level(i))!;
  const sumP = p.reduce((s, x) => s + x, 0);
  const sumQ = [...mass.values()].reduce((s, x) => s + x, 0);
  let kl = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) kl += (p[i]! / sumP) * Math.log(p[i]! / sumP / (q[i]! / sumQ));
  return kl;
}

describe('entropy calibration', () => {
  it('computes KL(P ‖ Q) in O(levels) exactly as the bin-by-bin definition', () => {
    const h = histogramOf(concatFloats([gaussian(20_000, 3, 1, 0.5), Float32Array.of(9, -7)]));
    const grid: ActivationGrid = { range: { dtype: DataType.UINT8, qmin: 0, qmax: 15 }, symmetric: false };
    const cost = klCost(h, grid);
    const zero = Math.round(-h.start / h.width);
    for (const [a, b] of [[0, h.counts.length], [zero - 200, zero + 300], [zero - 40, zero + 41], [3, zero + 17]] as const) {
      const lo = h.start + a * h.width;
      const hi = h.start + b * h.width;
      expect(cost(lo, hi)).toBeCloseTo(klByDefinition(h, grid, a, b), 10);
    }
    expect(cost(h.start + zero * h.width, h.start + (zero + 1) * h.width)).toBe(Infinity);
  });

  it('clips the outliers of a Gaussian and keeps its body', () => {
    const outliers = Float32Array.from({ length: 100 }, (_, i) => (i % 2 ? 1 : -1) * (30 + i / 5));
    const h = histogramOf(concatFloats([gaussian(1_000_000, 1), outliers]));
    for (const grid of [UINT8_ASYMMETRIC, INT8_SYMMETRIC]) {
      const r = entropyRange(h, grid);
      expect(r.max).toBeLessThan(6);
      expect(r.max).toBeGreaterThan(3);
      expect(r.min).toBeGreaterThan(-6);
      expect(r.min).toBeLessThan(-3);
    }
  });

  it('keeps the full range of a uniform distribution (nothing to gain by clipping)', () => {
    const h = histogramOf(Float32Array.from({ length: 200_000 }, (_, i) => (i / 200_000) * 2 - 1));
    const r = entropyRange(h, UINT8_ASYMMETRIC);
    expect(r.min).toBeLessThan(-0.97);
    expect(r.max).toBeGreaterThan(0.97);
  });

  it('is not thrown off by the pile of exact zeros after a ReLU', () => {
    const relu = gaussian(1_000_000, 7).map((v) => Math.max(0, v));
    const h = histogramOf(relu);
    expect(withoutZeroSpike(h).total).toBeLessThan(h.total * 0.51);
    const r = entropyRange(h, UINT8_ASYMMETRIC);
    expect(r.min).toBe(0);
    expect(r.max).toBeGreaterThan(3);
  });
});
