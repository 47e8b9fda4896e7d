import { describe, expect, it } from 'vitest';
import { gaussian, laplace } from '../../test/helpers/distributions.js';
import { dequantizeInt4, quantizeInt4Rtn, reconstructionError, type BlockShape } from './int4-blocks.js';
import { quantizeInt4Hqq } from './hqq.js';

describe('hqq', () => {
  const k = 256;
  const n = 64;
  const weights = { gaussian: gaussian(k * n, 3, 0.05), laplace: laplace(k * n, 4, 0.03) };
  for (const [name, w] of Object.entries(weights)) {
    for (const blockSize of [32, 128]) {
      for (const [symmetric, floatZero] of [[true, false], [false, false], [false, true]] as const) {
        it(`${name} weights, block ${blockSize}, ${symmetric ? 'symmetric' : floatZero ? 'asymmetric, float zero points' : 'asymmetric, uint4 zero points'}: lower reconstruction error than rtn, worst error within a quarter of rtn's`, () => {
          const shape: BlockShape = { k, n, blockSize, symmetric };
          const rtn = quantizeInt4Rtn(w, shape);
          const hqq = quantizeInt4Hqq(w, shape, { floatZero });
          const e = (b: typeof rtn) => reconstructionError(w, b).sse;
          // A clear margin, not a tie: several percent less squared error.
          expect(e(hqq)).toBeLessThan(0.97 * e(rtn));
          expect(hqq.zeros instanceof Float32Array).toBe(floatZero && !symmetric);
          const worst = (b: typeof rtn) => dequantizeInt4(b).reduce((m, v, i) => Math.max(m, Math.abs(v - w[i]!)), 0);
          // The fit keeps rtn's worst error; the final gain (Σwŵ = Σw²) may move it by |g − 1|·max|ŵ|.
          expect(worst(hqq)).toBeLessThanOrEqual(worst(rtn) * 1.25);
        });
      }
    }
  }

  it('does not shrink the weights along themselves: Σwŵ stays at Σw² (a least-squares fit alone gives Σŵ² < Σw²)', () => {
    const w = weights.laplace;
    for (const symmetric of [true, false]) {
      const hqq = dequantizeInt4(quantizeInt4Hqq(w, { k, n, blockSize: 128, symmetric }));
      let ww = 0;
      let wq = 0;
      let qq = 0;
      for (let i = 0; i < w.length; i++) {
        ww += w[i]! * w[i]!;
        wq += w[i]! * hqq[i]!;
        qq += hqq[i]! * hqq[i]!;
      }
      // The relative error is about 1%: a shrink would show as wq/ww ≈ 0.99.
      expect(Math.abs(wq / ww - 1), symmetric ? 'symmetric' : 'asymmetric').toBeLessThan(1e-3);
      expect(qq).toBeGreaterThan(ww);
    }
  });

  it('is deterministic', () => {
    const w = gaussian(64 * 16, 9, 0.1);
    const shape: BlockShape = { k: 64, n: 16, blockSize: 32, symmetric: false };
    expect(quantizeInt4Hqq(w, shape)).toEqual(quantizeInt4Hqq(w, shape));
  });
});
