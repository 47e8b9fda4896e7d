import { describe, expect, it } from 'vitest';
import { MinMaxObserver } from './minmax.js';

describe('MinMaxObserver', () => {
  it('keeps the extremes of all samples, ignoring NaN and ±Inf', () => {
    const o = new MinMaxObserver();
    expect(o.range()).toBeUndefined();
    o.observe(Float32Array.of(1, 2, 3));
    o.observe(Float32Array.of(-4, NaN, -Infinity, 0.5));
    o.observe(Float32Array.of(Infinity, 2.5));
    expect(o.range()).toEqual({ min: -4, max: 3 });
    expect(o.retainedBytes()).toBe(0);
  });

  it('averages per-sample extremes with a moving average, as onnxruntime does', () => {
    const o = new MinMaxObserver(0.5);
    o.observe(Float32Array.of(0, 10));
    o.observe(Float32Array.of(-4, 2));
    o.observe(Float32Array.of(-2, 6));
    // min: 0 → 0 + 0.5·(−4 − 0) = −2 → −2 + 0.5·(−2 + 2) = −2; max: 10 → 6 → 6.
    expect(o.range()).toEqual({ min: -2, max: 6 });
    expect(() => new MinMaxObserver(0)).toThrow(RangeError);
  });
});
