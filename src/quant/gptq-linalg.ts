// Dense symmetric linear algebra for GPTQ, hand-written: the matrices are K × K (K = a layer's
// input width, a few thousand at most), each is factored once per layer, and onnxruntime has no
// Cholesky operator to hand this to. Float64 throughout: the inverse Hessian of a layer with
// correlated inputs is ill-conditioned, and float32 Cholesky there fails or loses the compensation.
// Loops run along rows (contiguous memory) wherever the algorithm allows.

/**
 * Lower Cholesky factor L of a symmetric positive definite n × n matrix (row-major), A = L·Lᵀ.
 * Returns undefined when A is not positive definite (a pivot ≤ 0).
 */
export function choleskyLower(a: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let sum = a[rowJ + j]!;
    for (let k = 0; k < j; k++) sum -= l[rowJ + k]! * l[rowJ + k]!;
    if (!(sum > 0)) return undefined;
    const d = Math.sqrt(sum);
    l[rowJ + j] = d;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = a[rowI + j]!;
      for (let k = 0; k < j; k++) s -= l[rowI + k]! * l[rowJ + k]!;
      l[rowI + j] = s / d;
    }
  }
  return l;
}

/**
 * The upper triangular U with A⁻¹ = Uᵀ·U, for a symmetric positive definite A (what GPTQ needs),
 * without forming A⁻¹: with J the order reversal, factor J·A·J = L·Lᵀ; then
 * A⁻¹ = J·L⁻ᵀ·L⁻¹·J = Uᵀ·U for U = J·L⁻¹·J, which is upper triangular. One Cholesky and one
 * triangular inverse (n³/2 multiply-adds) instead of factor, invert and factor again (n³), and
 * no rounding from an explicit inverse. Returns undefined when A is not positive definite.
 */
export function upperCholeskyOfInverse(a: Float64Array, n: number): Float64Array | undefined {
  const reversed = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) reversed[i * n + j] = a[(n - 1 - i) * n + (n - 1 - j)]!;
  const l = choleskyLower(reversed, n);
  if (!l) return undefined;
  const y = lowerInverse(l, n);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) u[(n - 1 - i) * n + (n - 1 - j)] = y[i * n + j]!;
  return u;
}

/** L⁻¹ for a lower triangular L, row by row (each row a combination of the rows above it). */
function lowerInverse(l: Float64Array, n: number): Float64Array {
  const y = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    const d = l[rowI + i]!;
    y[rowI + i] = 1;
    for (let k = 0; k < i; k++) {
      const f = l[rowI + k]!;
      if (f === 0) continue;
      const rowK = k * n;
      for (let c = 0; c <= k; c++) y[rowI + c]! -= f * y[rowK + c]!;
    }
    for (let c = 0; c <= i; c++) y[rowI + c]! /= d;
  }
  return y;
}
