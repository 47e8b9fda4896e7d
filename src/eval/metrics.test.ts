import { describe, expect, it } from 'vitest';
import { FidelityAccumulator, argmax, classAxisSize } from './metrics.js';

describe('fidelity metrics', () => {
  it('computes cosine, SQNR, errors and top-1 agreement by hand-checkable numbers', () => {
    const acc = new FidelityAccumulator();
    acc.add([1, 2, 3, 0], [1, 2, 2, 1], 2); // rows [1,2]/[1,2] agree; [3,0]/[2,1] agree
    const m = acc.result();
    expect(m.cosine).toBeCloseTo(11 / Math.sqrt(14 * 10), 12); // dot 1+4+6+0
    expect(m.sqnrDb).toBeCloseTo(10 * Math.log10(14 / 2), 12);
    expect(m.maxAbsError).toBe(1);
    expect(m.meanAbsError).toBe(0.5);
    expect(m.top1Agreement).toBe(1);
    expect(m.nonFinite).toBe(0);
  });

  it('accumulates across samples and counts non-finite outputs', () => {
    const acc = new FidelityAccumulator();
    acc.add([0, 1], [1, 0], 2);
    acc.add([5, 5], [Infinity, 5], 2);
    const m = acc.result();
    expect(m.nonFinite).toBe(1);
    expect(m.top1Agreement).toBe(0.5); // [0,1]→1 vs [1,0]→0 disagree; [5,5]→0 vs [inf,5]→0 agree
  });

  it('leaves out values the float output has no finite figure for, and says how many', () => {
    const acc = new FidelityAccumulator();
    acc.add([1, NaN, -Infinity, 2, Infinity], [1, 0.5, -Infinity, 2, NaN]);
    const m = acc.result();
    expect(m.referenceNonFinite).toBe(2); // NaN vs 0.5, +Inf vs NaN; the shared -Inf agrees
    expect(m.nonFinite).toBe(0);
    expect(m.cosine).toBeCloseTo(1, 12);
    expect(m.maxAbsError).toBe(0);
  });

  it('gives NaN, not a perfect match, when the float output has no finite value', () => {
    const acc = new FidelityAccumulator();
    acc.add([NaN, NaN], [1, 2]);
    const m = acc.result();
    expect(m.cosine).toBeNaN();
    expect(m.sqnrDb).toBeNaN();
    expect(m.referenceNonFinite).toBe(2);
  });

  it('breaks argmax ties toward the lowest index', () => {
    expect(argmax([3, 7, 7, 1])).toBe(1);
    expect(argmax([2, 2])).toBe(0);
  });

  it('recognises class-score shapes only', () => {
    expect(classAxisSize([1, 1000])).toBe(1000);
    expect(classAxisSize([1, 128, 256])).toBe(256);
    expect(classAxisSize([1, 1, 1024, 1024])).toBeUndefined();
    expect(classAxisSize([1, 1])).toBeUndefined();
  });

  it('is exact when outputs are identical', () => {
    const acc = new FidelityAccumulator();
    acc.add([1, -2, 3], [1, -2, 3]);
    expect(acc.result()).toMatchObject({ cosine: 1, sqnrDb: Infinity, maxAbsError: 0 });
  });

  it('gives no figure, not a perfect or a zero one, when every value was left out for being non-finite', () => {
    const acc = new FidelityAccumulator();
    acc.add([1, 2, 3, 4], [NaN, NaN, Infinity, NaN], 4);
    const r = acc.result();
    expect(r).toMatchObject({ nonFinite: 4, referenceNonFinite: 0 });
    for (const figure of [r.cosine, r.sqnrDb, r.maxAbsError, r.meanAbsError]) expect(figure).toBeNaN();
    expect(r.top1Agreement).toBeUndefined();
  });
});
