/**
 * C[i, j] = bias[i] + Σ_k A[i, k] · B[j, k] for i < m, j < n, k < depth, with A and B row-major
 * (k contiguous) and C written at c0 + i·ci + j·cj. Blocked four rows of A by four rows of B:
 * sixteen running sums stay in registers and each loaded value is used four times, which is what
 * makes plain JavaScript reach a useful fraction of the CPU here (bench/train-throughput.mjs).
 * Convolution (A = weights, B = patches) and fully connected layers (A = weights, B = samples)
 * both run on it.
 */
export function gemmNT(
  A: Float32Array,
  B: Float32Array,
  bias: Float32Array,
  m: number,
  n: number,
  depth: number,
  C: Float32Array,
  c0: number,
  ci: number,
  cj: number,
  b0 = 0,
): void {
  const K = depth;
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let j = 0; j < n4; j += 4) {
    const x0 = b0 + j * K;
    const x1 = x0 + K;
    const x2 = x1 + K;
    const x3 = x2 + K;
    for (let i = 0; i < m4; i += 4) {
      const a0 = i * K;
      const a1 = a0 + K;
      const a2 = a1 + K;
      const a3 = a2 + K;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < K; k++) {
        const v0 = B[x0 + k]!;
        const v1 = B[x1 + k]!;
        const v2 = B[x2 + k]!;
        const v3 = B[x3 + k]!;
        let w = A[a0 + k]!;
        s00 += w * v0; s01 += w * v1; s02 += w * v2; s03 += w * v3;
        w = A[a1 + k]!;
        s10 += w * v0; s11 += w * v1; s12 += w * v2; s13 += w * v3;
        w = A[a2 + k]!;
        s20 += w * v0; s21 += w * v1; s22 += w * v2; s23 += w * v3;
        w = A[a3 + k]!;
        s30 += w * v0; s31 += w * v1; s32 += w * v2; s33 += w * v3;
      }
      let q = c0 + i * ci + j * cj;
      let b = bias[i]!;
      C[q] = b + s00; C[q + cj] = b + s01; C[q + 2 * cj] = b + s02; C[q + 3 * cj] = b + s03;
      q += ci;
      b = bias[i + 1]!;
      C[q] = b + s10; C[q + cj] = b + s11; C[q + 2 * cj] = b + s12; C[q + 3 * cj] = b + s13;
      q += ci;
      b = bias[i + 2]!;
      C[q] = b + s20; C[q + cj] = b + s21; C[q + 2 * cj] = b + s22; C[q + 3 * cj] = b + s23;
      q += ci;
      b = bias[i + 3]!;
      C[q] = b + s30; C[q + cj] = b + s31; C[q + 2 * cj] = b + s32; C[q + 3 * cj] = b + s33;
    }
    // Rows of A left over: one at a time against the four rows of B.
    for (let i = m4; i < m; i++) {
      const a0 = i * K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const w = A[a0 + k]!;
        s0 += w * B[x0 + k]!;
        s1 += w * B[x1 + k]!;
        s2 += w * B[x2 + k]!;
        s3 += w * B[x3 + k]!;
      }
      const q = c0 + i * ci + j * cj;
      const b = bias[i]!;
      C[q] = b + s0; C[q + cj] = b + s1; C[q + 2 * cj] = b + s2; C[q + 3 * cj] = b + s3;
    }
  }
  // Rows of B left over: plain dot products.
  for (let j = n4; j < n; j++) {
    const x0 = b0 + j * K;
    for (let i = 0; i < m; i++) {
      const a0 = i * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += A[a0 + k]! * B[x0 + k]!;
      C[c0 + i * ci + j * cj] = bias[i]! + s;
    }
  }
}
