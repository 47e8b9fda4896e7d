import { upperCholeskyOfInverse } from './gptq-linalg.js';

// The part of GPTQ (Frantar et al., 2023) that does not depend on the number format: the order in
// which rows go, the upper Cholesky factor of the dampened inverse Hessian, and the sweep that
// quantizes one row at a time and pushes its error onto the rows not yet quantized. The 4-bit
// block quantizer (gptq.ts) and the 8-bit per-channel one (gptq-int8.ts) supply the rounding.

export interface GptqOptions {
  /** Dampening added to H's diagonal, as a fraction of its mean diagonal (the paper's 1%). */
  damp?: number;
  /** Quantize rows in order of decreasing H diagonal (inputs with the most energy first). */
  actOrder?: boolean;
  /** Rows whose error is propagated eagerly before one lazy update of the rest (the paper's B = 128). */
  batch?: number;
  /**
   * Measure each layer's inputs with the layers before it already quantized (default true), as
   * the reference implementation does; false measures every layer on the float model in one pass.
   * Used by the pass that collects Hessians (quantize/int4/gptq-pass.ts), not here.
   */
  sequential?: boolean;
}

export const GPTQ_DEFAULTS: Required<GptqOptions> = { damp: 0.01, actOrder: false, batch: 128, sequential: true };

/** A layer's rows in processing order, and U with H⁻¹ = UᵀU (H dampened, in that order). */
export interface GptqFactor {
  /** order[i] = the weight row quantized i-th. */
  order: Int32Array;
  /** position[row] = when that row comes up. */
  position: Int32Array;
  /** Upper Cholesky factor of the inverse of the permuted, dampened H; K × K row-major. */
  u: Float64Array;
  /** The dampening fraction used (raised tenfold until H was positive definite). */
  damp: number;
  /** Rows whose input was never active (H diagonal 0); their H row and column become a unit one. */
  dead: Uint8Array;
  deadInputs: number;
}

/**
 * Order the rows, dampen H (λ·mean(diag H) on the diagonal, λ raised tenfold up to five times
 * while H is not positive definite), and factor its inverse.
 */
export function gptqFactor(hessian: Float64Array, k: number, options: GptqOptions = {}): GptqFactor {
  const { damp: damp0, actOrder } = { ...GPTQ_DEFAULTS, ...options };
  if (hessian.length !== k * k) throw new RangeError(`Hessian has ${hessian.length} entries, expected ${k}×${k}`);
  const order = Int32Array.from({ length: k }, (_, i) => i);
  if (actOrder) order.sort((a, b) => hessian[b * k + b]! - hessian[a * k + a]! || a - b);
  const position = new Int32Array(k);
  order.forEach((row, i) => (position[row] = i));

  const h = new Float64Array(k * k);
  const dead = new Uint8Array(k);
  let deadInputs = 0;
  for (let i = 0; i < k; i++) {
    const src = order[i]!;
    if (hessian[src * k + src] === 0) {
      dead[src] = 1;
      deadInputs++;
    }
    for (let j = 0; j < k; j++) h[i * k + j] = hessian[src * k + order[j]!]!;
    if (dead[src]) h[i * k + i] = 1;
  }
  let meanDiag = 0;
  for (let i = 0; i < k; i++) meanDiag += h[i * k + i]! / k;

  let damp = damp0;
  let u: Float64Array | undefined;
  for (let attempt = 0; attempt < 6 && !u; attempt++, damp *= 10) {
    const damped = Float64Array.from(h);
    for (let i = 0; i < k; i++) damped[i * k + i]! += damp * meanDiag;
    u = upperCholeskyOfInverse(damped, k);
    if (u) break;
  }
  if (!u) throw new RangeError('the Hessian stays singular even with heavy dampening; the calibration inputs of this layer are degenerate');
  return { order, position, u, damp, dead, deadInputs };
}

/**
 * The sweep. `wp` holds the weight rows in processing order (K × N, float64) and is updated in
 * place. For the i-th row, `quantizeRow(i, errors, at)` rounds wp's row i, stores the codes where
 * it likes and writes (w − ŵ) for each of the N columns to errors[at..at+N); the sweep divides by
 * U_ii and propagates: w_j −= U_ij · e_i for j > i, eagerly within a batch of rows and lazily,
 * once per batch, for the rest.
 */
export function gptqSweep(wp: Float64Array, factor: GptqFactor, n: number, batch: number, quantizeRow: (i: number, errors: Float64Array, at: number) => void): void {
  const { u } = factor;
  const k = factor.order.length;
  const errors = new Float64Array(batch * n);
  for (let i1 = 0; i1 < k; i1 += batch) {
    const i2 = Math.min(k, i1 + batch);
    for (let i = i1; i < i2; i++) {
      const ei = (i - i1) * n;
      quantizeRow(i, errors, ei);
      const d = u[i * k + i]!;
      for (let c = 0; c < n; c++) errors[ei + c]! /= d;
      for (let j = i + 1; j < i2; j++) axpy(wp, j * n, -u[i * k + j]!, errors, ei, n);
    }
    for (let j = i2; j < k; j++) {
      for (let i = i1; i < i2; i++) axpy(wp, j * n, -u[i * k + j]!, errors, (i - i1) * n, n);
    }
  }
}

/** y[yAt..] += a · x[xAt..], n values. */
function axpy(y: Float64Array, yAt: number, a: number, x: Float64Array, xAt: number, n: number): void {
  if (a === 0) return;
  for (let c = 0; c < n; c++) y[yAt + c]! += a * x[xAt + c]!;
}
