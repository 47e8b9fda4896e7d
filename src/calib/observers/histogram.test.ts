import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { concatFloats, gaussian } from '../../../test/helpers/distributions.js';
import { finiteRange } from './finite-range.js';
import { StreamingHistogram, smallestExponent, type Histogram } from './histogram.js';

function build(batches: Float32Array[], slots?: number): Histogram {
  const h = new StreamingHistogram(slots);
  for (const b of batches) h.observe(b);
  return h.snapshot()!;
}

describe('finiteRange', () => {
  it('finds the extremes of the finite values, ignoring NaN and ±Inf', () => {
    expect(finiteRange(Float32Array.of(3, -2, 7, 1, 0))).toEqual({ min: -2, max: 7 });
    expect(finiteRange(Float32Array.of(NaN, 2, -Infinity, 5, Infinity, -1))).toEqual({ min: -1, max: 5 });
    const none = finiteRange(Float32Array.of(NaN, Infinity));
    expect(none.min > none.max).toBe(true);
  });
});

describe('StreamingHistogram', () => {
  it('bins on a power-of-two grid through zero', () => {
    const h = build([Float32Array.of(0, 0.5, 1, -0.25)], 8);
    // Width 0.25: bins −0.25, 0, 0.25, …, 1.0 (6 of the 8); 0.125 would need 11.
    expect(h.width).toBe(0.25);
    expect(h.start).toBe(-0.25);
    expect([...h.counts]).toEqual([1, 1, 0, 1, 0, 1]);
    expect([h.min, h.max, h.total]).toEqual([-0.25, 1, 4]);
    expect(smallestExponent(-0.25, 1, 8)).toBe(-2);
  });

  it('counts NaN and ±Inf apart, in both the small-batch and the large-batch loops', () => {
    for (const size of [10, 100_000]) {
      const data = gaussian(size, 3);
      data[1] = NaN;
      data[4] = Infinity;
      data[7] = -Infinity;
      const h = build([data], 64);
      expect(h.nonFinite).toBe(3);
      expect(h.total).toBe(size - 3);
      expect(h.counts.reduce((a, b) => a + b, 0)).toBe(size - 3);
    }
  });

  it('equals a histogram of all the data built at once, whatever the batches', () => {
    // Ranges that grow (coarsening), move (sliding), start at all zeros, and mix small and large batches.
    const batches = [
      new Float32Array(50),
      gaussian(20_000, 1, 0.01),
      gaussian(300, 2, 1, 5),
      gaussian(40_000, 3, 3, -20),
      gaussian(17, 4, 100),
      Float32Array.of(1e-30, -1e-30, 2 ** -20),
      gaussian(30_000, 5, 1),
      concatFloats([gaussian(20_000, 6, 1), Float32Array.of(3e9, NaN, -Infinity)]), // far outlier in a large batch
    ];
    for (const slots of [64, 4096]) {
      const streamed = build(batches, slots);
      const atOnce = build([concatFloats(batches)], slots);
      expect(streamed.width).toBe(atOnce.width);
      expect(streamed.start).toBe(atOnce.start);
      expect([...streamed.counts]).toEqual([...atOnce.counts]);
      expect(streamed.total).toBe(110_371);
      expect(streamed.nonFinite).toBe(2);
    }
  });

  it('puts every value in the bin that holds it', () => {
    const data = concatFloats([gaussian(50_000, 8, 2), Float32Array.of(0, -0, 1e-30, -1e-30)]);
    const h = build([data], 256);
    const expected = new Float64Array(h.counts.length);
    // ⌊v / w⌋ is exact for a power-of-two width; (v − start) / w could round across an edge.
    for (const v of data) expected[Math.floor(v / h.width) - h.start / h.width]++;
    expect([...h.counts]).toEqual([...expected]);
    // Tiny negatives fall below zero, not into the [0, w) bin.
    const zeroBin = Math.round(-h.start / h.width);
    expect(h.counts[zeroBin - 1]).toBeGreaterThan(0);
  });

  it('holds the same memory after 10× more samples', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const batch = new Float32Array(1 << 16);
    const observe = (h: StreamingHistogram, samples: number) => {
      for (let s = 0; s < samples; s++) {
        batch.set(gaussian(batch.length, s, 1 + s / 10));
        h.observe(batch);
      }
    };
    const heapAfter = (samples: number): { retained: number; heap: number } => {
      const h = new StreamingHistogram();
      gc();
      const before = process.memoryUsage().heapUsed;
      observe(h, samples);
      gc();
      const heap = process.memoryUsage().heapUsed - before;
      expect(h.snapshot()!.total).toBe(samples * batch.length);
      return { retained: h.retainedBytes(), heap };
    };
    heapAfter(5); // compile first, so that code does not count as data
    const few = heapAfter(20);
    const many = heapAfter(200);
    expect(many.retained).toBe(few.retained);
    // 180 more batches of 256 KiB each: keeping any of them would show; allow for heap noise.
    expect(many.heap).toBeLessThan(few.heap + 1024 * 1024);
  });
});
