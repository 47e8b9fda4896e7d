import { DataType } from '../ir/dtype.js';
import { axisLayout } from './linear.js';
import { quantRange, type RangeOptions } from './qtypes.js';
import { ROUNDER } from './rounding.js';
import { computeScaleZeroPoint } from './scale-zero-point.js';
import { channelRangeWasm, quantizeChannelsWasm, type ChannelLayout } from './wasm/weight-kernels.js';

export interface QuantizedWeight {
  dtype: DataType.INT8 | DataType.UINT8;
  values: Int8Array | Uint8Array;
  /** One per channel (per-axis) or a single one (per-tensor). */
  scales: Float32Array;
  zeroPoints: Int8Array | Uint8Array;
  /** The axis of per-axis quantization, or undefined for per-tensor. */
  axis: number | undefined;
}

export interface WeightQuantOptions extends RangeOptions {
  dtype?: DataType.INT8 | DataType.UINT8;
  /** Quantize per slice along this axis; undefined for one scale for the whole tensor. */
  axis?: number;
  /** Run the JavaScript loops even where WebAssembly SIMD exists: for tests and benchmarks that compare the two. */
  javascriptOnly?: boolean;
}

/**
 * Quantize a float weight to 8 bits, per channel or per tensor, with onnxruntime's choice of
 * ranges (symmetric int8 by default), and ONNX's rounding: saturate(round_half_even(w / s) + z).
 * This runs over every weight of a model and must convert 500 MB per second on one core
 * (bench/quantize-weights.mjs): the work is done by WebAssembly SIMD kernels (wasm/weights.wat),
 * with hand-written JavaScript loops, bit-identical to them, where an engine lacks SIMD.
 */
export function quantizeWeight(values: Float32Array, dims: readonly number[], options: WeightQuantOptions = {}): QuantizedWeight {
  const dtype = options.dtype ?? DataType.INT8;
  const symmetric = options.symmetric ?? dtype === DataType.INT8;
  const range = quantRange(dtype, { symmetric, reduceRange: options.reduceRange ?? false });
  const layout = options.axis !== undefined ? axisLayout(dims, options.axis) : { outer: 1, channels: 1, inner: values.length };
  const channels = layout.channels;
  const useWasm = !options.javascriptOnly;
  const [mins, maxs] = channelRange(values, layout, symmetric, useWasm);
  const scales = new Float32Array(channels);
  const zeroPoints = dtype === DataType.INT8 ? new Int8Array(channels) : new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    const { scale, zeroPoint } = computeScaleZeroPoint(mins[c]!, maxs[c]!, range, symmetric);
    scales[c] = scale;
    zeroPoints[c] = zeroPoint;
  }
  const out = dtype === DataType.INT8 ? new Int8Array(values.length) : new Uint8Array(values.length);
  if (!useWasm || !quantizeChannelsWasm(values, layout, scales, Float32Array.from(zeroPoints), range.qmin, range.qmax, out)) {
    quantizeInto(values, layout, Float64Array.from(scales), Float64Array.from(zeroPoints), range.qmin, range.qmax, out);
  }
  return { dtype, values: out, scales, zeroPoints, axis: options.axis };
}

/**
 * The per-tensor quantization of a weight when it gives back every value exactly, else undefined.
 * Such a weight already sits on one 8-bit grid: a model dequantized from int8, as `convert --to
 * fp32` makes of a peer's file. Quantizing it per channel would round it again onto other grids;
 * per tensor is exact, and onnxruntime's integer kernels run one scale a little faster. The grid's
 * scale is the one the range gives, or a float32 neighbour of it (the range was itself rounded
 * when the grid was dequantized). A range pass and a look at the first values turn other weights
 * away before the full check, so the usual cost is a few percent of quantizing.
 */
export function exactPerTensor(values: Float32Array, options: Omit<WeightQuantOptions, 'axis'> = {}): QuantizedWeight | undefined {
  const dtype = options.dtype ?? DataType.INT8;
  const symmetric = options.symmetric ?? dtype === DataType.INT8;
  const range = quantRange(dtype, { symmetric, reduceRange: options.reduceRange ?? false });
  const [mins, maxs] = channelRange(values, { outer: 1, channels: 1, inner: values.length }, symmetric, !options.javascriptOnly);
  const { scale, zeroPoint } = computeScaleZeroPoint(mins[0]!, maxs[0]!, range, symmetric);
  const out = dtype === DataType.INT8 ? new Int8Array(values.length) : new Uint8Array(values.length);
  // Writes the codes of values[0, end) into `out`; false at the first value they do not give back.
  const exactOver = (s: number, end: number) => {
    for (let i = 0; i < end; i++) {
      const w = values[i]!;
      const q = Math.min(range.qmax, Math.max(range.qmin, Math.round(w / s) + zeroPoint));
      if (Math.fround((q - zeroPoint) * s) !== w) return false;
      out[i] = q;
    }
    return true;
  };
  const probe = Math.min(values.length, 256);
  const s = floatNeighbours(Math.fround(scale)).find((candidate) => candidate > 0 && exactOver(candidate, probe));
  if (s === undefined || !exactOver(s, values.length)) return undefined;
  const zeroPoints = dtype === DataType.INT8 ? Int8Array.of(zeroPoint) : Uint8Array.of(zeroPoint);
  return { dtype, values: out, scales: Float32Array.of(s), zeroPoints, axis: undefined };
}

/** A float32 and its two nearest float32 neighbours on each side, nearest first. */
function floatNeighbours(x: number): number[] {
  const bits = new Float32Array(1);
  const asInt = new Int32Array(bits.buffer);
  bits[0] = x;
  const base = asInt[0]!;
  return [0, 1, -1, 2, -2].map((step) => {
    asInt[0] = base + step;
    return bits[0]!;
  });
}

type Layout = ChannelLayout;

/**
 * Each channel's [min, max], widened to include 0 (onnxruntime's rule); for symmetric ranges
 * [-absmax, absmax]. WebAssembly SIMD where the engine has it, else the JavaScript loops below.
 */
function channelRange(values: Float32Array, layout: Layout, symmetric: boolean, useWasm: boolean): [ArrayLike<number>, ArrayLike<number>] {
  const mins = new Float32Array(layout.channels);
  const maxs = new Float32Array(layout.channels);
  if (!useWasm || !channelRangeWasm(values, layout, mins, maxs)) return symmetric ? absRange(values, layout) : minMax(values, layout);
  if (symmetric) {
    for (let c = 0; c < layout.channels; c++) {
      maxs[c] = Math.max(-mins[c]!, maxs[c]!);
      mins[c] = -maxs[c]!;
    }
  }
  return [mins, maxs];
}

/**
 * q = saturate(rint(float32(w / s)) + z), computed as rint(w · (1/s)) + z — a multiply instead of a
 * divide — on the fast path, which stores the double as it is. Elements within 1e-4 of a .5 tie
 * (where the float32 quotient could round to the other side) or outside [qmin, qmax] take
 * exactElement. Bit-identical to the reference (tested). The loops are written out in full, with
 * the rare case behind a call, because this runs over every weight of a model: about 1.5× faster
 * than calling a per-element function (bench/quantize-weights.mjs). Valid for 8-bit ranges
 * (|w/s| ≤ 256, where float32's half-ulp is far below 1e-4).
 */
function quantizeInto(values: Float32Array, { outer, channels, inner }: Layout, scales: Float64Array, zps: Float64Array, qmin: number, qmax: number, out: Int8Array | Uint8Array): void {
  const inverse = scales.map((s) => 1 / s);
  const R = ROUNDER; // a local: reading the imported binding in the loop costs a load each time
  if (inner === 1) {
    // Last axis (MatMul [K, N] per column): consecutive elements belong to consecutive channels.
    for (let o = 0; o < outer; o++) {
      const base = o * channels;
      for (let c = 0; c < channels; c++) {
        const w = values[base + c]!;
        const y = w * inverse[c]!;
        const r = y + R - R;
        const d = y - r; // in [-0.5, 0.5]: near ±0.5 is near a tie
        const q = r + zps[c]!;
        out[base + c] = d > 0.4999 || d < -0.4999 || q < qmin || q > qmax ? exactElement(w, scales[c]!, zps[c]!, qmin, qmax) : q;
      }
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const scale = scales[c]!;
      const inv = inverse[c]!;
      const zp = zps[c]!;
      const base = (o * channels + c) * inner;
      for (let i = base; i < base + inner; i++) {
        const w = values[i]!;
        const y = w * inv;
        const r = y + R - R;
        const d = y - r;
        const q = r + zp;
        out[i] = d > 0.4999 || d < -0.4999 || q < qmin || q > qmax ? exactElement(w, scale, zp, qmin, qmax) : q;
      }
    }
  }
}

/** The reference form for the rare element: float32 division, round half to even, saturate. */
function exactElement(w: number, scale: number, zp: number, qmin: number, qmax: number): number {
  const q = Math.fround(w / scale) + ROUNDER - ROUNDER + zp;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/** [-absmax, absmax] per channel: one comparison per element, for symmetric ranges. */
function absRange(values: Float32Array, { outer, channels, inner }: Layout): [Float64Array, Float64Array] {
  const m = new Float64Array(channels);
  for (let o = 0; o < outer; o++) {
    if (inner === 1) {
      const base = o * channels;
      for (let c = 0; c < channels; c++) {
        const v = Math.abs(values[base + c]!);
        if (v > m[c]!) m[c] = v;
      }
      continue;
    }
    for (let c = 0; c < channels; c++) {
      let hi = m[c]!;
      const base = (o * channels + c) * inner;
      for (let i = base; i < base + inner; i++) {
        const v = Math.abs(values[i]!);
        if (v > hi) hi = v;
      }
      m[c] = hi;
    }
  }
  return [m.map((v) => -v), m];
}

function minMax(values: Float32Array, { outer, channels, inner }: Layout): [Float64Array, Float64Array] {
  const mins = new Float64Array(channels);
  const maxs = new Float64Array(channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      let lo = mins[c]!;
      let hi = maxs[c]!;
      const base = (o * channels + c) * inner;
      for (let i = base; i < base + inner; i++) {
        const v = values[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      mins[c] = lo;
      maxs[c] = hi;
    }
  }
  return [mins, maxs];
}
