import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { float32Tensor } from '../../ir/tensor/values.js';
import { createNodeRunner } from '../../runner/ort-node.js';
import { encodeModel } from '../../serde/encode.js';
import { convertToFloat16 } from './convert-to-float16.js';
import { findFloat16Overflow } from './find-overflow.js';

const F = DataType.FLOAT;

/** x · 1000 · 1000 · 0.001: the second product leaves float16's range for x > 0.0655. */
function overflowingModel() {
  const b = new GraphBuilder(17);
  const x = b.input('x', F, [1, 64]);
  const k = b.initializer('k', float32Tensor([], [1000]));
  const first = b.op('Mul', [x, k], { name: 'times_1000' });
  const relu = b.op('Relu', [first], { name: 'relu' });
  const second = b.op('Mul', [relu, k], { name: 'times_1000_again' });
  const back = b.op('Mul', [second, b.initializer('milli', float32Tensor([], [0.001]))], { name: 'times_0.001' });
  b.output(back, F, [1, 64]);
  return convertToFloat16(b.model).model;
}

const feeds = (scale: number) => ({ x: { dtype: F, dims: [1, 64], data: Float32Array.from({ length: 64 }, (_, i) => (i / 64) * scale) } });

describe('findFloat16Overflow', () => {
  it('names the first node whose float16 output overflows', async () => {
    let runs = 0;
    const factory = (bytes: Uint8Array) => {
      runs++;
      return createNodeRunner(bytes, { optimization: 'disabled', threads: 1 });
    };
    const found = await findFloat16Overflow(encodeModel(overflowingModel()), feeds(1), factory);
    // x = i/64 ≥ 0.0656 (i ≥ 5: 59 of the 64 inputs) gives more than 65504 after the second Mul.
    expect(found).toEqual({ node: 'times_1000_again', opType: 'Mul', output: expect.any(String), infinities: 59, nans: 0 });
    expect(runs).toBe(2);
  });

  it('finds NaNs too, in one probe run plus one run that fetches the flagged value', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [1, 64]);
    const shifted = b.op('Sub', [x, b.initializer('half', float32Tensor([], [0.5]))], { name: 'shift' });
    b.output(b.op('Exp', [b.op('Log', [shifted], { name: 'log' })]), F, [1, 64]);
    let runs = 0;
    const factory = (bytes: Uint8Array) => {
      runs++;
      return createNodeRunner(bytes, { optimization: 'disabled', threads: 1 });
    };
    const found = await findFloat16Overflow(convertToFloat16(b.model).model, feeds(1), factory);
    // log of the 32 negative values (i < 32) is NaN; log(0) at i = 32 is -inf.
    expect(found).toEqual({ node: 'log', opType: 'Log', output: expect.any(String), infinities: 1, nans: 32 });
    expect(runs).toBe(2);
  });

  it('returns undefined when every float16 value stays finite', async () => {
    const found = await findFloat16Overflow(overflowingModel(), feeds(0.05), (bytes) => createNodeRunner(bytes, { optimization: 'disabled' }));
    expect(found).toBeUndefined();
  });
});
