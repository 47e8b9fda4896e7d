import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../ir/builder.js';
import { attr } from '../ir/attribute.js';
import { DataType } from '../ir/dtype.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import { float32Tensor, typedData, toFloat32 } from '../ir/tensor/values.js';
import { decodeTensor } from '../serde/decode.js';
import { encodeModel } from '../serde/encode.js';
import { roundHalfToEven } from './rounding.js';
import { axisLayout, dequantizeLinear, quantizeLinear } from './linear.js';
import { quantRange } from './qtypes.js';
import { computeScaleZeroPoint } from './scale-zero-point.js';
import { exactPerTensor, quantizeWeight } from './weights.js';
import { CHUNK_ELEMENTS, weightKernels } from './wasm/weight-kernels.js';
import { spawnSync } from 'node:child_process';
import { corpusData, skipWithReason } from '../../test/helpers/corpus.js';
import { randomFloats, runOnce } from '../../test/helpers/ort.js';

describe('roundHalfToEven', () => {
  it('rounds halves to the even neighbour, unlike Math.round', () => {
    const cases: [number, number][] = [[0.5, 0], [1.5, 2], [2.5, 2], [-0.5, 0], [-1.5, -2], [-2.5, -2], [2.4999, 2], [2.5001, 3], [-3.5, -4], [1e20, 1e20], [7, 7]];
    for (const [x, want] of cases) expect(roundHalfToEven(x) === want, `${x}`).toBe(true);
    expect(Math.round(2.5)).toBe(3); // why the function exists
  });
});

describe('exactPerTensor', () => {
  it('gives the per-tensor quantization of a weight on one grid, symmetric or not, and turns others away', () => {
    const codes = Array.from(randomFloats(300, 41, 127), (v) => Math.round(v) + 0); // + 0: no -0, which comes back as 0
    codes[7] = -127;
    const symmetric = Float32Array.from(codes, (q) => Math.fround(q * Math.fround(0.02)));
    const q = exactPerTensor(symmetric)!;
    expect(q.axis).toBeUndefined();
    expect(Float32Array.from(q.values, (v) => Math.fround((v - q.zeroPoints[0]!) * q.scales[0]!))).toEqual(symmetric);
    // uint8 with a zero point: the grid quantizeWeight itself makes.
    const asym = quantizeWeight(randomFloats(300, 42, 1).map((v) => v + 0.3), [300], { dtype: DataType.UINT8, symmetric: false });
    const onAsymGrid = Float32Array.from(asym.values, (v) => Math.fround((v - asym.zeroPoints[0]!) * asym.scales[0]!));
    const back = exactPerTensor(onAsymGrid, { dtype: DataType.UINT8, symmetric: false })!;
    expect(Float32Array.from(back.values, (v) => Math.fround((v - back.zeroPoints[0]!) * back.scales[0]!))).toEqual(onAsymGrid);
    // Off the grid: a random weight, and a grid weight with one value moved by one ulp past the probe.
    expect(exactPerTensor(randomFloats(300, 43, 1))).toBeUndefined();
    const nudged = symmetric.slice();
    nudged[299] = nudged[299]! + Math.abs(nudged[299]!) * 2 ** -23 + 1e-30;
    expect(exactPerTensor(nudged)).toBeUndefined();
    // The JavaScript loops agree.
    expect(exactPerTensor(symmetric, { javascriptOnly: true })).toEqual(q);
  });
});

describe('scale and zero point', () => {
  it('follow onnxruntime: range widened to 0, symmetric int8 is ±127 with zero point 0', () => {
    expect(computeScaleZeroPoint(-1, 3, quantRange(DataType.UINT8))).toEqual({ scale: Math.fround(4 / 255), zeroPoint: 64 });
    expect(computeScaleZeroPoint(0.5, 2, quantRange(DataType.UINT8))).toEqual({ scale: Math.fround(2 / 255), zeroPoint: 0 });
    expect(computeScaleZeroPoint(-2, 1, quantRange(DataType.INT8, { symmetric: true }), true)).toEqual({ scale: Math.fround(4 / 254), zeroPoint: 0 });
    expect(computeScaleZeroPoint(-2, 1, quantRange(DataType.UINT8), true)).toEqual({ scale: Math.fround(4 / 255), zeroPoint: 128 });
    expect(computeScaleZeroPoint(0, 0, quantRange(DataType.UINT8))).toEqual({ scale: 1, zeroPoint: 0 });
    expect(quantRange(DataType.INT8, { reduceRange: true })).toEqual({ dtype: DataType.INT8, qmin: -64, qmax: 64 });
  });
});

/** The ONNX conformance cases shipped in Debian's libonnx-testdata: the spec's own numbers. */
describe('ONNX conformance data', () => {
  const root = corpusData('onnx-testdata');
  const load = (c: string) => {
    const dir = join(root!, c, 'test_data_set_0');
    const files = readdirSync(dir).sort();
    const read = (prefix: string) => files.filter((f) => f.startsWith(prefix)).map((f) => decodeTensor(readFileSync(join(dir, f)), { file: f }));
    return { inputs: read('input_'), outputs: read('output_') };
  };

  it.for(['test_quantizelinear', 'test_quantizelinear_axis'])('%s: quantizeLinear gives the expected output', (c, ctx) => {
    if (!root) return skipWithReason(ctx, 'ONNX conformance data absent (Debian libonnx-testdata); run `npm run corpus`');
    const { inputs, outputs } = load(c);
    const [x, scale, zp] = inputs as [DenseTensor, DenseTensor, DenseTensor];
    const xs = toFloat32(x);
    const scales = toFloat32(scale);
    const zps = typedData(zp) as Uint8Array;
    const range = quantRange(zp.dtype);
    const out = new Uint8Array(xs.length);
    // Per-axis along axis 1 (the ONNX default) when the scale is a vector.
    const axis = scales.length > 1 ? 1 : undefined;
    const { outer, channels, inner } = axis === undefined ? { outer: 1, channels: 1, inner: xs.length } : axisLayout(x.dims, axis);
    for (let o = 0; o < outer; o++) {
      for (let ch = 0; ch < channels; ch++) {
        const start = (o * channels + ch) * inner;
        quantizeLinear(xs, scales[ch]!, zps[ch]!, range.qmin, range.qmax, out, start, start + inner);
      }
    }
    expect(Array.from(out)).toEqual(Array.from(typedData(outputs[0]!) as Uint8Array));
  });

  it.for(['test_dequantizelinear', 'test_dequantizelinear_axis'])('%s: dequantizeLinear gives the expected output', (c, ctx) => {
    if (!root) return skipWithReason(ctx, 'ONNX conformance data absent (Debian libonnx-testdata); run `npm run corpus`');
    const { inputs, outputs } = load(c);
    const [q, scale, zp] = inputs as [DenseTensor, DenseTensor, DenseTensor];
    const qs = typedData(q) as Uint8Array;
    const scales = toFloat32(scale);
    const zps = typedData(zp) as Uint8Array;
    const out = new Float32Array(qs.length);
    const axis = scales.length > 1 ? 1 : undefined;
    const { outer, channels, inner } = axis === undefined ? { outer: 1, channels: 1, inner: qs.length } : axisLayout(q.dims, axis);
    for (let o = 0; o < outer; o++) {
      for (let ch = 0; ch < channels; ch++) {
        const start = (o * channels + ch) * inner;
        dequantizeLinear(qs, scales[ch]!, zps[ch]!, out, start, start + inner);
      }
    }
    expect(Array.from(out)).toEqual(Array.from(toFloat32(outputs[0]!)));
  });
});

describe('against onnxruntime', () => {
  async function ortQuantize(x: Float32Array, scale: number, zp: number, dtype: DataType.UINT8 | DataType.INT8) {
    const b = new GraphBuilder(13);
    const input = b.input('x', DataType.FLOAT, [x.length]);
    const s = b.initializer('s', float32Tensor([], [scale]));
    const z = b.initializer('z', new DenseTensor(dtype, [], new Uint8Array([zp & 0xff])));
    b.output(b.op('QuantizeLinear', [input, s, z]), dtype, [x.length]);
    const out = await runOnce(encodeModel(b.model), { x: { dtype: DataType.FLOAT, dims: [x.length], data: x } });
    return Array.from(Object.values(out)[0]!.data as Int8Array | Uint8Array);
  }

  it.each([
    [DataType.UINT8, 0.05, 128],
    [DataType.UINT8, 0.013, 3],
    [DataType.INT8, 0.02, 0],
    [DataType.INT8, 0.0071, -5],
  ] as const)('QuantizeLinear %i scale %f zp %i: identical bits, ties and saturation included', async (dtype, scale, zp) => {
    // Exact ties (k + 0.5) × scale, values far outside the range, and random ones.
    const ties = Array.from({ length: 400 }, (_, k) => Math.fround((k - 200 + 0.5) * scale));
    const x = Float32Array.from([...ties, 1e6, -1e6, 0, -0, ...randomFloats(2000, 11, 300 * scale)]);
    const range = quantRange(dtype);
    const ours = dtype === DataType.INT8 ? new Int8Array(x.length) : new Uint8Array(x.length);
    quantizeLinear(x, Math.fround(scale), zp, range.qmin, range.qmax, ours);
    expect(Array.from(ours)).toEqual(await ortQuantize(x, Math.fround(scale), zp, dtype));
  });

  it('per-channel weights: DequantizeLinear in onnxruntime reproduces our dequantization, error within half a step', async () => {
    const dims = [16, 3, 3, 3];
    const w = randomFloats(16 * 27, 5, 0.3);
    w[7] = 2.5; // one outlier channel
    const q = quantizeWeight(w, dims, { axis: 0 });
    expect(Array.from(q.zeroPoints).every((z) => z === 0)).toBe(true);
    const b = new GraphBuilder(13);
    const qv = b.initializer('q', DenseTensor.fromTyped(DataType.INT8, dims, q.values as Int8Array));
    const s = b.initializer('s', float32Tensor([16], q.scales));
    const z = b.initializer('z', DenseTensor.fromTyped(DataType.INT8, [16], q.zeroPoints as Int8Array));
    const y = b.op('DequantizeLinear', [qv, s, z], { attributes: { axis: attr.int(0) } });
    const x = b.input('x', DataType.FLOAT, [1]);
    b.output(b.op('Add', [y, x]), DataType.FLOAT, dims);
    const out = await runOnce(encodeModel(b.model), { x: { dtype: DataType.FLOAT, dims: [1], data: new Float32Array([0]) } });
    const deq = Object.values(out)[0]!.data as Float32Array;
    for (let i = 0; i < w.length; i++) {
      const ch = Math.floor(i / 27);
      expect(deq[i]).toBe(Math.fround(q.values[i]! * q.scales[ch]!));
      expect(Math.abs(deq[i]! - w[i]!)).toBeLessThanOrEqual(q.scales[ch]! / 2 + 1e-7);
    }
  });

  it('last-axis weights (MatMul [K, N]) use one scale per column', () => {
    const w = randomFloats(8 * 5, 3);
    const q = quantizeWeight(w, [8, 5], { axis: 1 });
    expect(q.scales).toHaveLength(5);
    for (let n = 0; n < 5; n++) {
      let absmax = 0;
      for (let k = 0; k < 8; k++) absmax = Math.max(absmax, Math.abs(w[k * 5 + n]!));
      expect(q.scales[n]).toBe(Math.fround((2 * absmax) / 254));
    }
    const asym = quantizeWeight(w, [8, 5], { axis: 1, dtype: DataType.UINT8 });
    expect(asym.dtype).toBe(DataType.UINT8);
    expect(Math.max(...asym.values)).toBe(255);
  });
});

describe('quantizeWeight fast path', () => {
  it('JavaScript loops: bit-identical to quantizeLinear (float32 division) on a million values, ties included', () => {
    const w = randomFloats(1 << 20, 77, 0.2);
    // Row 0 (channel 0 along axis 0) gets values on and next to .5 ties of its scale; its largest
    // value is pinned so that the scale stays what the ties were computed from.
    const s0 = Math.fround((2 * 0.25) / 254);
    w[1023] = 0.25;
    for (let k = 0; k < 1000; k++) {
      const tie = ((k % 201) - 100 + 0.5) * s0;
      w[k] = Math.fround(k < 400 ? tie : k < 700 ? tie * (1 + 1e-7) : tie * (1 - 1e-7));
    }
    expect(quantizeWeight(w, [1024, 1024], { axis: 0 }).scales[0]).toBe(s0);
    for (const [dims, axis] of [[[1024, 1024], 0], [[1024, 1024], 1], [[1024, 1024], undefined]] as const) {
      for (const dtype of [DataType.INT8, DataType.UINT8] as const) {
        const q = quantizeWeight(w, dims, { dtype, javascriptOnly: true, ...(axis !== undefined ? { axis } : {}) });
        const range = quantRange(dtype, { symmetric: dtype === DataType.INT8 });
        const ref = dtype === DataType.INT8 ? new Int8Array(w.length) : new Uint8Array(w.length);
        const { outer, channels, inner } = axis === undefined ? { outer: 1, channels: 1, inner: w.length } : axisLayout(dims, axis);
        for (let o = 0; o < outer; o++) {
          for (let c = 0; c < channels; c++) {
            const start = (o * channels + c) * inner;
            if (inner === 1) quantizeLinear(w, q.scales[c]!, q.zeroPoints[c]!, range.qmin, range.qmax, ref, start, start + 1);
            else quantizeLinear(w, q.scales[c]!, q.zeroPoints[c]!, range.qmin, range.qmax, ref, start, start + inner);
          }
        }
        expect(Buffer.from(q.values.buffer).equals(Buffer.from(ref.buffer))).toBe(true);
      }
    }
  });
});

describe('quantizeWeight in WebAssembly SIMD', () => {
  /** Weights with exact ties of a typical scale, NaN, huge values and -0 sprinkled in. */
  function awkwardWeights(n: number, seed: number): Float32Array {
    const w = randomFloats(n, seed, 0.2);
    const step = Math.fround((2 * 0.2) / 254);
    for (let i = 0; i < n; i += 97) w[i] = Math.fround((((i / 97) % 201) - 100 + 0.5) * step);
    w[5] = NaN;
    w[n - 3] = 1e30;
    w[n - 2] = -1e30;
    w[n - 1] = -0;
    return w;
  }

  it('is available on Node (SIMD), and the shapes below span several pieces', () => {
    expect(weightKernels()).not.toBeNull();
    expect(1500 * 1001).toBeGreaterThan(CHUNK_ELEMENTS);
    expect(3000 * 1000).toBeGreaterThan(2 * CHUNK_ELEMENTS);
    expect(1100000).toBeGreaterThan(CHUNK_ELEMENTS);
  });

  // Shapes chosen to cross the kernels' edges: more elements than one piece (CHUNK_ELEMENTS),
  // column counts that leave a tail of a 16-wide step, outer > 1, a per-tensor run split in pieces.
  it.each([
    ['MatMul per column, 2 pieces, 9-column tail', [1500, 1001], 1],
    ['Conv per output channel, 3 pieces', [3000, 10, 10, 10], 0],
    ['ConvTranspose per axis 1 (outer 37, inner 9)', [37, 5, 3, 3], 1],
    ['per tensor, one run split in 3 pieces', [2, 1100000], undefined],
    ['Gemm transB per row, 7-element rows', [999, 7], 0],
    ['one column', [33, 1], 1],
  ] as const)('%s: bytes, scales and zero points identical to the JavaScript loops and to quantizeLinear', (_, dims, axis) => {
    const n = (dims as readonly number[]).reduce((a, b) => a * b, 1);
    const w = awkwardWeights(n, n % 1000);
    for (const dtype of [DataType.INT8, DataType.UINT8] as const) {
      const options = { dtype, ...(axis !== undefined ? { axis } : {}) };
      const simd = quantizeWeight(w, dims, options);
      const js = quantizeWeight(w, dims, { ...options, javascriptOnly: true });
      expect(Array.from(simd.scales)).toEqual(Array.from(js.scales));
      expect(Array.from(simd.zeroPoints)).toEqual(Array.from(js.zeroPoints));
      expect(Buffer.from(simd.values.buffer).equals(Buffer.from(js.values.buffer))).toBe(true);
    }
    // and against the reference, where NaN has no defined result
    const finite = w.map((v) => (Number.isNaN(v) ? 0.1 : v));
    const q = quantizeWeight(finite, dims, axis !== undefined ? { axis } : {});
    const range = quantRange(DataType.INT8, { symmetric: true });
    const ref = new Int8Array(n);
    const { outer, channels, inner } = axis === undefined ? { outer: 1, channels: 1, inner: n } : axisLayout(dims, axis);
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < channels; c++) {
        const start = (o * channels + c) * inner;
        quantizeLinear(finite, q.scales[c]!, q.zeroPoints[c]!, range.qmin, range.qmax, ref, start, start + inner);
      }
    }
    expect(Buffer.from(q.values.buffer).equals(Buffer.from(ref.buffer))).toBe(true);
  });

  it('the committed module is weights.wat compiled (npm run build:wasm)', () => {
    const result = spawnSync(process.execPath, ['tools/build-wasm.mjs', '--check'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
