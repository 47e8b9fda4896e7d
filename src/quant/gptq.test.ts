import { describe, expect, it } from 'vitest';
import { gaussian } from '../../test/helpers/distributions.js';
import { dequantizeInt4, quantizeInt4Rtn, type BlockShape } from './int4-blocks.js';
import { quantizeInt4Gptq } from './gptq.js';

/**
 * Correlated inputs X [T, K] (a few strong directions and a few loud channels, as in real
 * activations) and H = 2XᵀX/T: GPTQ must cut the output error ‖X(W − Ŵ)‖² well below rtn's.
 */
function layer(k: number, n: number, t: number) {
  const mix = gaussian(k * k, 1, 1 / Math.sqrt(k));
  for (let i = 0; i < 8; i++) for (let j = 0; j < k; j++) mix[i * k + j]! *= 3;
  const z = gaussian(t * k, 2);
  const x = new Float64Array(t * k);
  for (let r = 0; r < t; r++) {
    for (let i = 0; i < k; i++) {
      const zi = z[r * k + i]!;
      for (let j = 0; j < k; j++) x[r * k + j]! += zi * mix[i * k + j]!;
    }
    for (let j = 0; j < k; j += 17) x[r * k + j]! *= 4;
  }
  const h = new Float64Array(k * k);
  for (let r = 0; r < t; r++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) h[i * k + j]! += (2 * x[r * k + i]! * x[r * k + j]!) / t;
  const w = gaussian(k * n, 3, 0.05);
  const outputError = (q: Float32Array) => {
    const d = w.map((v, i) => v - q[i]!);
    let e = 0;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let c = 0; c < n; c++) e += h[i * k + j]! * d[i * n + c]! * d[j * n + c]!;
    return e;
  };
  return { w, h, outputError };
}

describe('gptq', () => {
  const k = 128;
  const n = 32;
  const { w, h, outputError } = layer(k, n, 512);
  for (const blockSize of [32, 128]) {
    for (const symmetric of [true, false]) {
      it(`block ${blockSize}, ${symmetric ? 'symmetric' : 'asymmetric'}: output error on the calibration inputs at most half of rtn's`, () => {
        const shape: BlockShape = { k, n, blockSize, symmetric };
        const rtn = outputError(dequantizeInt4(quantizeInt4Rtn(w, shape)));
        const result = quantizeInt4Gptq(w, shape, h);
        expect(result.damp).toBe(0.01);
        expect(outputError(dequantizeInt4(result.blocks))).toBeLessThan(0.5 * rtn);
        expect(outputError(dequantizeInt4(quantizeInt4Gptq(w, shape, h, { actOrder: true }).blocks))).toBeLessThan(0.5 * rtn);
      });
    }
  }

  it('zeroes the rows of inputs that were never active (H diagonal 0)', () => {
    const hh = Float64Array.from(h);
    for (let j = 0; j < k; j++) hh[5 * k + j] = hh[j * k + 5] = 0;
    const result = quantizeInt4Gptq(w, { k, n, blockSize: 32, symmetric: true }, hh);
    expect(result.deadInputs).toBe(1);
    const q = dequantizeInt4(result.blocks);
    for (let c = 0; c < n; c++) expect(Math.abs(q[5 * n + c]!)).toBe(0);
  });
});
