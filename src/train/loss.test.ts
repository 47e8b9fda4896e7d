import { describe, expect, it } from 'vitest';
import { roundHalfToEven } from '../quant/rounding.js';
import { quantizedSoftmaxCrossEntropy, softmaxCrossEntropy } from './loss.js';

const CLASSES = 10;

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe("the seed's 8-bit loss", () => {
  // Three digits: confidently right, unsure, confidently wrong (loss past 255/Q).
  const rows = [
    { logits: [9, 0, 0, 0, 0, 0, 0, 0, 0, 1], label: 0 },
    { logits: [1.2, 0.9, 0.1, 0, 0, 0, 0, 0, 0.5, 0], label: 1 },
    { logits: [12, 0, 0, 0, 0, 0, 0, 0, 0, 0], label: 3 },
  ];
  const logits = Float32Array.from(rows.flatMap((r) => r.logits));
  const labels = rows.map((r) => r.label);
  const n = rows.length;

  it.each([16, 32, 127])('Q = %i: L_q = round(clip(L·Q, 0, 255)); the gradient is int8 G_q = round(Q·(p − y)) carried at scale Q, none where L·Q > 255', (Q) => {
    const d = new Float32Array(n * CLASSES);
    const gradScale = 1 / n;
    const out = quantizedSoftmaxCrossEntropy(logits, labels, n, CLASSES, d, gradScale, Q);
    let lossSum = 0;
    let saturated = 0;
    rows.forEach((r, i) => {
      const z = Array.from(logits.subarray(i * CLASSES, (i + 1) * CLASSES));
      const p = softmax(z);
      const L = -Math.log(p[r.label]!);
      const Lq = roundHalfToEven(Math.min(255, Math.max(0, L * Q)));
      expect(Number.isInteger(Lq) && Lq >= 0 && Lq <= 255).toBe(true);
      lossSum += Lq / Q;
      const through = L * Q <= 255;
      if (!through) saturated++;
      for (let c = 0; c < CLASSES; c++) {
        const carried = (d[i * CLASSES + c]! / gradScale) * Q; // back to the int8 value
        const gq = through ? roundHalfToEven(Q * (p[c]! - (c === r.label ? 1 : 0))) : 0;
        expect(Math.abs(carried - gq)).toBeLessThan(1e-3);
        expect(Math.abs(gq)).toBeLessThanOrEqual(127);
      }
    });
    expect(out.lossSum).toBeCloseTo(lossSum, 10);
    expect(out.saturated).toBe(saturated);
    expect(out.correct).toBe(1); // rows 1 and 2 are wrong
  });

  it('with Q = 32: the confident digit gives no gradient at all, the wrong one saturates, only the unsure one teaches', () => {
    const d = new Float32Array(n * CLASSES);
    const out = quantizedSoftmaxCrossEntropy(logits, labels, n, CLASSES, d, 1, 32);
    const row = (i: number) => Array.from(d.subarray(i * CLASSES, (i + 1) * CLASSES));
    expect(row(0).every((v) => v === 0)).toBe(true); // p(label) = 0.9997: every |Q·(p − y)| < 1/2
    expect(row(2).every((v) => v === 0)).toBe(true); // L = 12 > 255/32
    expect(row(1).some((v) => v !== 0)).toBe(true);
    expect(row(1)[1]!).toBeLessThan(0); // the label's entry pulls up, the others push down
    expect(out.saturated).toBe(1);
    expect(out.vanished).toBeGreaterThan(0);
  });

  it('with the largest Q the 8-bit gradient is the float one to within half a step', () => {
    const q = new Float32Array(n * CLASSES);
    const f = new Float32Array(n * CLASSES);
    const few = logits.subarray(0, 2 * CLASSES); // leave out the saturating digit
    quantizedSoftmaxCrossEntropy(few, labels, 2, CLASSES, q, 1, 127);
    softmaxCrossEntropy(few, labels, 2, CLASSES, f, 1);
    for (let i = 0; i < 2 * CLASSES; i++) expect(Math.abs(q[i]! - f[i]!)).toBeLessThanOrEqual(0.5 / 127 + 1e-7);
  });
});
