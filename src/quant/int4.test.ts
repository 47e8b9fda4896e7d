import { describe, expect, it } from 'vitest';
import { DataType } from '../ir/dtype.js';
import { blockCount, isValidBlockSize, packInt4, unpackInt4 } from './int4.js';
import { dequantizeInt4, quantizeInt4Rtn, reconstructionError, rtnParams } from './int4-blocks.js';
import { fromBlockedQdq, fromMatMulNBits, toBlockedQdq, toGatherBlocks, toMatMulNBits } from './int4-layout.js';
import { randomFloats } from '../../test/helpers/ort.js';
import { halfToFloat, floatToHalf } from '../ir/tensor/float16.js';

describe('packInt4 / unpackInt4', () => {
  it('stores the first value in the low nibble, signed values in two\'s complement, an odd tail in a low nibble', () => {
    expect(Array.from(packInt4([1, 2, 15, 0, 7]))).toEqual([0x21, 0x0f, 0x07]);
    expect(Array.from(packInt4([-8, 7, -1]))).toEqual([0x78, 0x0f]);
    expect(Array.from(unpackInt4(Uint8Array.from([0x78, 0x0f]), 3, true))).toEqual([-8, 7, -1]);
    expect(Array.from(unpackInt4(Uint8Array.from([0x21, 0x0f, 0x07]), 5))).toEqual([1, 2, 15, 0, 7]);
    const values = Array.from({ length: 1001 }, (_, i) => (i * 7) % 16);
    expect(Array.from(unpackInt4(packInt4(values), values.length))).toEqual(values);
  });

  it('knows valid block sizes and partial blocks', () => {
    expect([16, 32, 64, 128, 256].every(isValidBlockSize)).toBe(true);
    expect([0, 8, 24, 48, 100, 32.5, -32].some(isValidBlockSize)).toBe(false);
    expect(blockCount(192, 128)).toBe(2);
    expect(blockCount(256, 128)).toBe(2);
  });
});

describe('round to nearest in blocks', () => {
  it('symmetric: the largest magnitude maps to −8 exactly (the scale takes its sign), ties go to the negative side', () => {
    const w = Float32Array.from([0.5, -0.25, 0.1, 0.0, /* block 2 */ -1, 1, 0.3, 0.2]);
    const q = quantizeInt4Rtn(w, { k: 8, n: 1, blockSize: 4, symmetric: true });
    expect(Array.from(q.scales)).toEqual([Math.fround(0.5 / -8), Math.fround(-1 / -8)]);
    expect(q.codes[0]).toBe(0); // 0.5 / (−1/16) = −8 → code 0
    expect(q.codes[4]).toBe(0); // −1 on a tie with +1 wins: scale +1/8, −1 → −8
    expect(q.codes[5]).toBe(15); // +1 → +8, saturated to 7
    expect(Array.from(q.zeros)).toEqual([8, 8]);
  });

  it('asymmetric: the range widened to 0, both ends exact; a block of zeros has scale 0 and dequantizes to 0', () => {
    const w = Float32Array.from([0.2, 0.5, 0.35, 0.3, 0, 0, 0, 0]);
    const q = quantizeInt4Rtn(w, { k: 8, n: 1, blockSize: 4, symmetric: false });
    expect(q.scales[0]).toBe(Math.fround(0.5 / 15));
    expect(q.zeros[0]).toBe(0);
    expect(q.codes[1]).toBe(15);
    expect(q.scales[1]).toBe(0);
    expect(Array.from(dequantizeInt4(q).subarray(4))).toEqual([0, 0, 0, 0]);
  });

  it('chooses codes against the stored scale: float16 scales are rounded before rounding the weights', () => {
    const w = randomFloats(64 * 8, 3, 0.3);
    const half = (x: number) => halfToFloat(floatToHalf(x));
    const q = quantizeInt4Rtn(w, { k: 64, n: 8, blockSize: 32, symmetric: false, roundScale: half });
    for (const s of q.scales) expect(half(s)).toBe(s);
    const p = rtnParams(w, { k: 64, n: 8, blockSize: 32, symmetric: false, roundScale: half });
    expect(Array.from(p.scales)).toEqual(Array.from(q.scales));
  });

  it('errs by at most half a step inside the range', () => {
    const w = randomFloats(100 * 6, 9, 0.5);
    for (const symmetric of [true, false]) {
      const q = quantizeInt4Rtn(w, { k: 100, n: 6, blockSize: 32, symmetric });
      const deq = dequantizeInt4(q);
      for (let i = 0; i < w.length; i++) {
        const s = Math.abs(q.scales[Math.floor(Math.floor(i / 6) / 32) * 6 + (i % 6)]!);
        // symmetric saturates at +7 steps: the opposite extreme may be one step off
        expect(Math.abs(deq[i]! - w[i]!)).toBeLessThanOrEqual((symmetric ? 1 : 0.5) * s + 1e-7);
      }
      expect(reconstructionError(w, q).sse).toBeGreaterThan(0);
    }
  });
});

describe('round to nearest in WebAssembly SIMD', () => {
  it('gives the codes, scales and zeros of the JavaScript loops (a plain array takes those), ties, zero blocks and tails included', () => {
    // k = 200 leaves a partial last block; n = 37 leaves a tail of the 16-wide step.
    const [k, n] = [200, 37];
    const w = randomFloats(k * n, 21, 0.3);
    for (let c = 0; c < n; c++) for (let r = 64; r < 96; r++) w[r * n + c] = 0; // one all-zero block
    for (let i = 0; i < w.length; i += 13) w[i] = Math.fround(Math.round(w[i]! * 64) / 64 + 1 / 128); // halfway points of coarse grids
    w[7] = NaN;
    for (const symmetric of [true, false]) {
      for (const blockSize of [32, 128]) {
        const shape = { k, n, blockSize, symmetric };
        const simd = quantizeInt4Rtn(w, shape);
        const js = quantizeInt4Rtn(Array.from(w), shape);
        expect(Array.from(simd.scales)).toEqual(Array.from(js.scales));
        expect(Array.from(simd.zeros)).toEqual(Array.from(js.zeros));
        expect(Array.from(simd.codes)).toEqual(Array.from(js.codes));
      }
    }
  });
});

describe('layouts', () => {
  it('MatMulNBits: B [N, kBlocks, blockSize/2] column by column, scales transposed, zero points packed per column; the padding dequantizes to 0', () => {
    const k = 40;
    const n = 3;
    const w = randomFloats(k * n, 5);
    const q = quantizeInt4Rtn(w, { k, n, blockSize: 16, symmetric: false });
    const nb = toMatMulNBits(q);
    expect(nb.b.length).toBe(n * 3 * 8);
    // column 1, block 0, byte 0 holds rows 0 (low) and 1 (high)
    expect(nb.b[1 * 24]).toBe(q.codes[0 * n + 1]! | (q.codes[1 * n + 1]! << 4));
    // the padded rows 40..47 of column 0 sit in its last block's bytes 4..7 and equal its zero point
    expect(nb.b[2 * 8 + 4]).toBe(q.zeros[2 * n + 0]! * 17);
    expect(nb.scales[1 * 3 + 2]).toBe(q.scales[2 * n + 1]);
    expect(nb.zeroPoints!.length).toBe(n * 2);
    expect(fromMatMulNBits(nb, k, n, 16)).toEqual(q);
  });

  it('blocked QDQ and GatherBlockQuantized round-trip the same numbers', () => {
    const w = randomFloats(50 * 4, 6);
    for (const symmetric of [true, false]) {
      const q = quantizeInt4Rtn(w, { k: 50, n: 4, blockSize: 16, symmetric });
      expect(fromBlockedQdq(toBlockedQdq(q), 50, 4, 16)).toEqual(q);
      const g = toGatherBlocks(q); // q as a transposed [4, 50] table
      expect(g.data.length).toBe(100);
      expect(g.scales.length).toBe(4 * 4);
    }
    expect(DataType.INT4).toBe(22);
  });
});
