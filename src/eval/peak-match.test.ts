import { describe, expect, it } from 'vitest';
import { FidelityAccumulator } from './metrics.js';
import { PeakMatchAccumulator, matchedDot } from './peak-match.js';

/** A mask of `planes` planes of height × width with the given peaks (flat index → value). */
function mask(peaks: Record<number, number>, size = 2 * 4 * 5): Float32Array {
  const m = new Float32Array(size);
  for (const [i, v] of Object.entries(peaks)) m[Number(i)] = v;
  return m;
}

const GRID = { height: 4, width: 5 };
const at = (plane: number, y: number, x: number) => plane * 20 + y * 5 + x;

describe('peaks matched within a pixel', () => {
  it('pairs peaks on the same pixel, then a moved peak with its neighbour, never two pixels away or across planes', () => {
    expect(matchedDot(mask({ [at(0, 1, 1)]: 0.5 }), mask({ [at(0, 1, 1)]: 0.4 }), GRID)).toBeCloseTo(0.2, 7);
    // One pixel, diagonal included.
    expect(matchedDot(mask({ [at(0, 1, 1)]: 0.5 }), mask({ [at(0, 2, 2)]: 0.4 }), GRID)).toBeCloseTo(0.2, 7);
    expect(matchedDot(mask({ [at(0, 1, 1)]: 0.5 }), mask({ [at(0, 1, 3)]: 0.4 }), GRID)).toBe(0);
    // The last column of a row is not a neighbour of the next row's first.
    expect(matchedDot(mask({ [at(0, 1, 4)]: 0.5 }), mask({ [at(0, 2, 0)]: 0.4 }), GRID)).toBe(0);
    expect(matchedDot(mask({ [at(0, 3, 2)]: 0.5 }), mask({ [at(1, 0, 2)]: 0.4 }), GRID)).toBe(0);
  });

  it('a candidate peak pairs once: the strongest float peak takes it, a same-pixel pair first', () => {
    // Two float peaks beside one quantized peak: only the stronger is matched.
    expect(matchedDot(mask({ [at(0, 1, 1)]: 0.2, [at(0, 1, 3)]: 0.6 }), mask({ [at(0, 1, 2)]: 0.5 }), GRID)).toBeCloseTo(0.3, 7);
    // The quantized peak on the float peak's own pixel is not taken by a stronger neighbour.
    expect(matchedDot(mask({ [at(0, 1, 1)]: 0.2, [at(0, 1, 2)]: 0.9 }), mask({ [at(0, 1, 1)]: 0.5 }), GRID)).toBeCloseTo(0.1, 7);
    // Products that would lower the figure are not taken.
    expect(matchedDot(mask({ [at(0, 1, 1)]: 0.5 }), mask({ [at(0, 1, 2)]: -0.4 }), GRID)).toBe(0);
  });

  it('pooled over samples: the plain cosine when no peak moved, above it when one did, and 1 when neither has a peak', () => {
    const ref = [mask({ [at(0, 1, 1)]: 0.8, [at(1, 2, 3)]: 0.3 }), mask({ [at(0, 0, 0)]: 0.5 })];
    const same = [mask({ [at(0, 1, 1)]: 0.7, [at(1, 2, 3)]: 0.35 }), mask({ [at(0, 0, 0)]: 0.45, [at(1, 3, 4)]: 0.1 })];
    const plain = new FidelityAccumulator();
    const matched = new PeakMatchAccumulator(GRID);
    ref.forEach((r, i) => {
      plain.add(r, same[i]!);
      matched.add(r, same[i]!);
    });
    expect(matched.cosine()).toBeCloseTo(plain.result().cosine, 12);

    const moved = [mask({ [at(0, 1, 2)]: 0.7, [at(1, 2, 3)]: 0.35 }), same[1]!];
    const plainMoved = new FidelityAccumulator();
    const matchedMoved = new PeakMatchAccumulator(GRID);
    ref.forEach((r, i) => {
      plainMoved.add(r, moved[i]!);
      matchedMoved.add(r, moved[i]!);
    });
    expect(plainMoved.result().cosine).toBeLessThan(0.5);
    // The moved peak pairs with the one it came from: the same figure as had it stayed.
    expect(matchedMoved.cosine()).toBeCloseTo(plain.result().cosine, 12);

    const none = new PeakMatchAccumulator(GRID);
    none.add(mask({}), mask({}));
    expect(none.cosine()).toBe(1);
  });

  it('no figure without samples, for a sample that is not whole planes, or one holding NaN', () => {
    expect(new PeakMatchAccumulator(GRID).cosine()).toBeUndefined();
    const ragged = new PeakMatchAccumulator(GRID);
    ragged.add(new Float32Array(30), new Float32Array(30));
    expect(ragged.cosine()).toBeUndefined();
    const nan = new PeakMatchAccumulator(GRID);
    nan.add(mask({ 0: 1 }), mask({ 0: 1 }));
    nan.add(mask({ 0: NaN }), mask({ 0: 1 }));
    expect(nan.cosine()).toBeUndefined();
  });
});
