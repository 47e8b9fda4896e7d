/** The smallest and largest value of a batch; `min > max` when it held nothing finite. */
export interface FiniteRange {
  min: number;
  max: number;
}

/**
 * Min and max of the finite values. NaN drops out of the comparisons by itself; infinities (models
 * that mask with -inf) would make every range useless, so when the fast scan meets one, a second
 * scan leaves them out. Two running pairs halve the loop's dependency chain: calibration reads
 * every activation of every sample, and this loop is most of what minmax costs.
 */
export function finiteRange(values: Float32Array): FiniteRange {
  let lo0 = Infinity;
  let hi0 = -Infinity;
  let lo1 = Infinity;
  let hi1 = -Infinity;
  const n = values.length;
  const even = n & ~1;
  for (let i = 0; i < even; i += 2) {
    const a = values[i]!;
    const b = values[i + 1]!;
    if (a < lo0) lo0 = a;
    if (a > hi0) hi0 = a;
    if (b < lo1) lo1 = b;
    if (b > hi1) hi1 = b;
  }
  if (even < n) {
    const a = values[even]!;
    if (a < lo0) lo0 = a;
    if (a > hi0) hi0 = a;
  }
  const min = Math.min(lo0, lo1);
  const max = Math.max(hi0, hi1);
  if (min !== -Infinity && max !== Infinity) return { min, max };
  return finiteOnly(values);
}

function finiteOnly(values: Float32Array): FiniteRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === Infinity || v === -Infinity) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}
