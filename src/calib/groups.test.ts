import { describe, expect, it } from 'vitest';
import { planGroups } from './groups.js';

describe('planGroups', () => {
  it('fills groups in order up to the budget; a tensor over budget goes alone', () => {
    expect(planGroups([40, 40, 30, 100, 10], 100)).toEqual([[0, 1], [2], [3], [4]]);
    expect(planGroups([250, 10, 10], 100)).toEqual([[0], [1, 2]]);
    expect(planGroups([1, 2, 3], 1e9)).toEqual([[0, 1, 2]]);
    expect(planGroups([], 100)).toEqual([]);
  });

  it('counts unknown sizes as the largest known one', () => {
    expect(planGroups([60, undefined, 10], 100)).toEqual([[0], [1, 2]]);
    expect(planGroups([undefined, undefined], 100)).toEqual([[0, 1]]);
  });
});
