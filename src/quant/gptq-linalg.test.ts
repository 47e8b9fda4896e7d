import { describe, expect, it } from 'vitest';
import { gaussian } from '../../test/helpers/distributions.js';
import { choleskyLower, upperCholeskyOfInverse } from './gptq-linalg.js';

/** A = BᵀB/m + 0.1·I: symmetric positive definite, with correlated columns. */
function spd(n: number, seed: number): Float64Array {
  const m = 2 * n;
  const b = gaussian(m * n, seed);
  const a = new Float64Array(n * n);
  for (let r = 0; r < m; r++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j]! += (b[r * n + i]! * b[r * n + j]!) / m;
  for (let i = 0; i < n; i++) a[i * n + i]! += 0.1;
  return a;
}

describe('GPTQ linear algebra', () => {
  it('upperCholeskyOfInverse: U is upper triangular with a positive diagonal and Uᵀ·U·A = I', () => {
    const n = 37;
    const a = spd(n, 4);
    const u = upperCholeskyOfInverse(a, n)!;
    for (let i = 0; i < n; i++) {
      expect(u[i * n + i]).toBeGreaterThan(0);
      for (let j = 0; j < i; j++) expect(u[i * n + j]).toBe(0);
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) {
          let inv = 0; // (UᵀU)[i][k]
          for (let r = 0; r < n; r++) inv += u[r * n + i]! * u[r * n + k]!;
          s += inv * a[k * n + j]!;
        }
        expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    }
  });

  it('returns undefined for a matrix that is not positive definite, as choleskyLower does', () => {
    const n = 5;
    const a = spd(n, 9);
    a[2 * n + 2] = -1;
    expect(choleskyLower(a, n)).toBeUndefined();
    expect(upperCholeskyOfInverse(a, n)).toBeUndefined();
  });
});
