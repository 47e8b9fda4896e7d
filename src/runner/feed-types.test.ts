import { describe, expect, it } from 'vitest';
import { DataType } from '../ir/dtype.js';
import { floatToHalf, halfToFloat } from '../ir/tensor/float16.js';
import { LowbitError } from '../errors.js';
import type { Feeds, RunnerIO } from './runner.js';
import { float16Bits, float16Values, matchFeedTypes } from './feed-types.js';

const F = DataType.FLOAT;
const H = DataType.FLOAT16;
const io = (name: string, dtype: DataType | undefined): RunnerIO => ({ name, dtype, dims: [3] });

describe('matchFeedTypes', () => {
  it('converts float32 feeds to float16 bits for float16 inputs, rounding half to even', () => {
    // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): even is 1; 1 + 3·2^-11 goes up.
    const data = new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11, -2.5]);
    const out = matchFeedTypes({ x: { dtype: F, dims: [3], data } }, [io('x', H)]);
    expect(out.x!.dtype).toBe(H);
    expect(out.x!.dims).toEqual([3]);
    expect(out.x!.data).toBeInstanceOf(Uint16Array);
    expect([...(out.x!.data as Uint16Array)]).toEqual([0x3c00, 0x3c02, floatToHalf(-2.5)]);
  });

  it('converts float16 feeds to float32 for float32 inputs', () => {
    const bits = Uint16Array.from([0x3c00, 0xc100, 0x7c00]);
    const out = matchFeedTypes({ x: { dtype: H, dims: [3], data: bits } }, [io('x', F)]);
    expect(out.x!.dtype).toBe(F);
    expect([...(out.x!.data as Float32Array)]).toEqual([1, -2.5, Infinity]);
  });

  it('returns the feeds themselves when the types already match, the type is unknown or the name is not an input', () => {
    const feeds: Feeds = {
      a: { dtype: F, dims: [1], data: new Float32Array(1) },
      b: { dtype: DataType.INT64, dims: [1], data: new BigInt64Array(1) },
      c: { dtype: F, dims: [1], data: new Float32Array(1) },
    };
    expect(matchFeedTypes(feeds, [io('a', F), io('b', undefined)])).toBe(feeds);
  });

  it('leaves the caller\'s feeds alone and converts only the inputs that need it', () => {
    const y = { dtype: DataType.INT64, dims: [1], data: BigInt64Array.from([7n]) };
    const feeds: Feeds = { x: { dtype: F, dims: [1], data: Float32Array.from([0.5]) }, y };
    const out = matchFeedTypes(feeds, [io('x', H), io('y', DataType.INT64)]);
    expect(out).not.toBe(feeds);
    expect(feeds.x!.dtype).toBe(F);
    expect(out.y).toBe(y);
    expect(halfToFloat((out.x!.data as Uint16Array)[0]!)).toBe(0.5);
  });

  it('refuses other mismatches, naming the input, the type it takes and the type given', () => {
    const feeds: Feeds = { ids: { dtype: DataType.INT64, dims: [1], data: BigInt64Array.from([1n]) } };
    let caught: unknown;
    try {
      matchFeedTypes(feeds, [io('ids', DataType.INT32)]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LowbitError);
    expect((caught as LowbitError).code).toBe('input-type-mismatch');
    expect((caught as LowbitError).message).toBe("input 'ids' of the model takes int32, but the data given for it is int64; lowbit converts only between float32 and float16");
    expect(() => matchFeedTypes({ x: { dtype: DataType.DOUBLE, dims: [1], data: new Float64Array(1) } }, [io('x', H)])).toThrow(/input 'x' of the model takes float16, but the data given for it is float64/);
  });
});

describe('float16 data', () => {
  it('decodes bits to float32 values and keeps bits as they are', () => {
    const bits = Uint16Array.from([0x3c00, 0x0001, 0xfbff]);
    expect([...float16Values(bits)]).toEqual([1, 2 ** -24, -65504]);
    expect(float16Bits(bits)).toBe(bits);
  });

  it('views a 2-byte array of another kind (a Float16Array where the platform has one) as bits without copying', () => {
    const Float16 = (globalThis as { Float16Array?: new (values: number[]) => Uint16Array }).Float16Array;
    const halves = Float16 ? new Float16([1, -2.5]) : new Int16Array(Uint16Array.from([0x3c00, 0xc100]).buffer);
    const bits = float16Bits(halves);
    expect(bits).toBeInstanceOf(Uint16Array);
    expect(bits.buffer).toBe(halves.buffer);
    expect([...bits]).toEqual([0x3c00, 0xc100]);
    expect(() => float16Bits(new Float32Array(1))).toThrow(TypeError);
  });
});
