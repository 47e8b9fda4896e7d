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
 * A⁻¹ from A's lower Cholesky factor: Y = L⁻¹ row by row (each row a combination of the rows
 * above it), then A⁻¹ = Yᵀ·Y as a sum of outer products of Y's rows.
 */
export function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
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
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let a = 0; a <= i; a++) {
      const f = y[rowI + a]!;
      if (f === 0) continue;
      const rowA = a * n;
      for (let b = 0; b <= a; b++) inv[rowA + b]! += f * y[rowI + b]!;
    }
  }
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) inv[b * n + a] = inv[a * n + b]!;
  return inv;
}

/** Upper Cholesky factor U (A = Uᵀ·U): the transpose of the lower one. */
export function choleskyUpper(a: Float64Array, n: number): Float64Array | undefined {
  const l = choleskyLower(a, n);
  if (!l) return undefined;
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) u[j * n + i] = l[i * n + j]!;
  return u;
}
