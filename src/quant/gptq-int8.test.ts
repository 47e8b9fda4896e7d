import { describe, expect, it } from 'vitest';
import { gaussian } from '../../test/helpers/distributions.js';
import { roundInt8Gptq, type Int8GptqWeight } from './gptq-int8.js';
import { quantizeWeight } from './weights.js';
import { DataType } from '../ir/dtype.js';
import { quantRange } from './qtypes.js';

/**
 * A layer like a depthwise edge detector after batch-norm folding: strongly correlated inputs
 * (neighbouring pixels of a smooth image) and weights whose large taps nearly cancel, so that
 * round-to-nearest errors are as large as the output.
 */
function cancellingLayer(k: number, n: number, t: number) {
  const base = gaussian(t, 1);
  const noise = gaussian(t * k, 2, 0.05);
  const x = new Float64Array(t * k);
  for (let r = 0; r < t; r++) for (let i = 0; i < k; i++) x[r * k + i] = base[r]! + noise[r * k + i]!;
  const h = new Float64Array(k * k);
  for (let r = 0; r < t; r++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) h[i * k + j]! += x[r * k + i]! * x[r * k + j]!;
  const w = new Float32Array(k * n);
  const taps = gaussian(k * n, 3, 10);
  for (let c = 0; c < n; c++) {
    let sum = 0;
    for (let i = 0; i < k - 1; i++) sum += (w[i * n + c] = taps[i * n + c]!);
    w[(k - 1) * n + c] = -sum + 0.1 * taps[(k - 1) * n + c]!; // the taps sum to almost nothing
  }
  const outputError = (q: Float32Array) => {
    let e = 0;
    for (let r = 0; r < t; r++) {
      for (let c = 0; c < n; c++) {
        let d = 0;
        for (let i = 0; i < k; i++) d += x[r * k + i]! * (w[i * n + c]! - q[i * n + c]!);
        e += d * d;
      }
    }
    return e;
  };
  return { w, h, outputError };
}

describe('8-bit GPTQ rounding', () => {
  const k = 9;
  const n = 16;
  const { w, h, outputError } = cancellingLayer(k, n, 400);
  for (const reduceRange of [false, true]) {
    it(`${reduceRange ? '7' : '8'}-bit per channel: the grid of round-to-nearest, output error on the calibration inputs below a fifth of its`, () => {
      const nearest = quantizeWeight(w, [k, n], { dtype: DataType.INT8, symmetric: true, reduceRange, axis: 1 });
      const { qmin, qmax } = quantRange(DataType.INT8, { symmetric: true, reduceRange });
      const weight: Int8GptqWeight = { w, k, n, scales: nearest.scales, zeroPoints: nearest.zeroPoints, qmin, qmax };
      const result = roundInt8Gptq(weight, h);
      expect(result.damp).toBe(0.01);
      const dequant = (codes: ArrayLike<number>) => Float32Array.from({ length: k * n }, (_, i) => Math.fround(codes[i]! * nearest.scales[i % n]!));
      for (const code of result.codes) expect(code >= qmin && code <= qmax).toBe(true);
      expect(result.codes.some((c, i) => c !== nearest.values[i])).toBe(true);
      expect(outputError(dequant(result.codes))).toBeLessThan(0.2 * outputError(dequant(nearest.values)));
    });
  }

  it('per tensor: one scale for every column, still below round-to-nearest', () => {
    const nearest = quantizeWeight(w, [k, n], { dtype: DataType.INT8, symmetric: true });
    const result = roundInt8Gptq({ w, k, n, scales: nearest.scales, zeroPoints: nearest.zeroPoints, qmin: -128, qmax: 127 }, h);
    const dequant = (codes: ArrayLike<number>) => Float32Array.from({ length: k * n }, (_, i) => Math.fround(codes[i]! * nearest.scales[0]!));
    expect(outputError(dequant(result.codes))).toBeLessThan(0.5 * outputError(dequant(nearest.values)));
  });

  it('inputs never active keep their round-to-nearest codes (4-bit GPTQ zeroes them), and the others still improve', () => {
    const hh = Float64Array.from(h);
    for (let j = 0; j < k; j++) hh[2 * k + j] = hh[j * k + 2] = 0;
    const nearest = quantizeWeight(w, [k, n], { dtype: DataType.INT8, symmetric: true, axis: 1 });
    const result = roundInt8Gptq({ w, k, n, scales: nearest.scales, zeroPoints: nearest.zeroPoints, qmin: -128, qmax: 127 }, hh);
    expect(result.deadInputs).toBe(1);
    for (let c = 0; c < n; c++) expect(result.codes[2 * n + c]).toBe(nearest.values[2 * n + c]);
  });

  it('a zero channel stays at its zero point', () => {
    const wz = Float32Array.from(w);
    for (let i = 0; i < k; i++) wz[i * n + 3] = 0;
    const nearest = quantizeWeight(wz, [k, n], { dtype: DataType.INT8, symmetric: true, axis: 1 });
    const result = roundInt8Gptq({ w: wz, k, n, scales: nearest.scales, zeroPoints: nearest.zeroPoints, qmin: -128, qmax: 127 }, h);
    for (let i = 0; i < k; i++) expect(result.codes[i * n + 3]).toBe(0);
  });
});
