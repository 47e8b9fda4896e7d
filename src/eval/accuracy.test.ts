import { describe, expect, it } from 'vitest';
import { DataType } from '../ir/dtype.js';
import { argmax } from './metrics.js';
import { AccuracyAccumulator, labelRank, labelsFromArray, scoreLayout } from './accuracy.js';

describe('labelRank', () => {
  it('is 0 exactly where argmax (ties to the lowest index) picks the label', () => {
    const rows = [
      [1, 3, 3, 0],
      [2, 2, 2, 2],
      [0, -1, 5, 5],
      [Number.NaN, 1, 0, 1],
    ];
    for (const r of rows) for (let label = 0; label < r.length; label++) expect(labelRank(r, 0, r.length, label) === 0).toBe(argmax(r) === label);
  });

  it('counts higher scores, and equal ones only from lower indices', () => {
    expect(labelRank([5, 1, 5, 7, 5], 0, 5, 4)).toBe(3); // 7, and the 5s at 0 and 2
    expect(labelRank([9, 9, 0, 5, 1, 2, 3], 2, 5, 1)).toBe(0); // row starts at 2: [0,5,1,2,3]
    expect(labelRank([Number.NaN, 1], 0, 2, 0)).toBe(2);
  });
});

describe('AccuracyAccumulator', () => {
  it('takes one label per score row and reports top-5 only from ten classes', () => {
    const acc = new AccuracyAccumulator([1, 0], 'out', 'l.npy');
    acc.add([0, 1, 1, 0], [2, 2]); // row 0 → 1 (right), row 1 → 0 (right)
    expect(acc.result()).toEqual({ output: 'out', classes: 2, labelled: 2, correctTop1: 2, top1: 1 });
  });

  it('refuses outputs that are not class scores', () => {
    expect(() => new AccuracyAccumulator([0], 'mask', 'l.npy').add(new Float32Array(16), [1, 1, 4, 4])).toThrow(/not \[rows, classes\]/);
    expect(scoreLayout([10])).toEqual({ rows: 1, classes: 10 });
    expect(scoreLayout([3, 1])).toBeUndefined();
  });
});

describe('labelsFromArray', () => {
  it('reads [N] and [N, 1] integer arrays, and refuses floats and other shapes', () => {
    expect([...labelsFromArray({ dtype: DataType.INT64, dims: [3], data: BigInt64Array.from([2n, 0n, 1n]) }, 'l.npy')]).toEqual([2, 0, 1]);
    expect([...labelsFromArray({ dtype: DataType.UINT8, dims: [2, 1], data: Uint8Array.from([7, 9]) }, 'l.npy')]).toEqual([7, 9]);
    expect(() => labelsFromArray({ dtype: DataType.FLOAT, dims: [2], data: new Float32Array(2) }, 'l.npy')).toThrow(/must be integers, but it holds float32/);
    expect(() => labelsFromArray({ dtype: DataType.INT32, dims: [2, 2], data: new Int32Array(4) }, 'l.npy')).toThrow(/shape \[N\] or \[N, 1\]/);
  });
});
