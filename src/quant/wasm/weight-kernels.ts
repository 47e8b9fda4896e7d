import { WASM_BASE64 } from './weights-wasm.js';

/** How a per-channel tensor lies in memory: `outer` blocks of `channels` runs of `inner` elements. */
export interface ChannelLayout {
  outer: number;
  channels: number;
  inner: number;
}

interface Exports {
  memory: WebAssembly.Memory;
  rangeRows(src: number, rows: number, len: number, mins: number, maxs: number): void;
  rangeCols(src: number, rows: number, cols: number, mins: number, maxs: number): void;
  quantizeRows(src: number, rows: number, len: number, scales: number, zps: number, qmin: number, qmax: number, dst: number): void;
  quantizeCols(src: number, rows: number, cols: number, scales: number, zps: number, qmin: number, qmax: number, dst: number): void;
}

/**
 * Elements copied into WebAssembly memory per call. Tensors stream through in pieces of this size,
 * so the module's memory (which never shrinks) stays near 5 MB plus the per-channel arrays,
 * whatever the size of the weight.
 */
export const CHUNK_ELEMENTS = 1 << 20;

let loaded: Exports | null | undefined;

/**
 * The SIMD kernels of weights.wat, or null where this JavaScript engine has no WebAssembly SIMD
 * (the caller then runs its JavaScript loops, which give the same bytes). The module is about
 * 1.5 KB, small enough to compile synchronously on a browser's main thread.
 */
export function weightKernels(): Exports | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  try {
    if (typeof WebAssembly === 'object') {
      const bytes = Uint8Array.from(atob(WASM_BASE64), (c) => c.charCodeAt(0));
      if (WebAssembly.validate(bytes)) loaded = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Exports;
    }
  } catch {
    loaded = null;
  }
  return loaded;
}

const align16 = (n: number) => (n + 15) & ~15;

/**
 * The module's memory laid out for one call: two per-channel float arrays (a, b), the float input
 * piece and the byte output piece, growing the memory to fit.
 */
class Workspace {
  readonly a = 0;
  readonly b: number;
  readonly src: number;
  readonly dst: number;

  constructor(
    private readonly k: Exports,
    paramCount: number,
  ) {
    this.b = align16(paramCount * 4);
    this.src = 2 * this.b;
    this.dst = this.src + CHUNK_ELEMENTS * 4;
    const need = this.dst + CHUNK_ELEMENTS;
    const have = k.memory.buffer.byteLength;
    if (need > have) k.memory.grow(Math.ceil((need - have) / 65536));
  }

  /** Copies channels [first, first + count) of two per-channel arrays into a and b. */
  putParams(a: Float32Array, b: Float32Array, first: number, count: number): void {
    new Float32Array(this.k.memory.buffer, this.a, count).set(a.subarray(first, first + count));
    new Float32Array(this.k.memory.buffer, this.b, count).set(b.subarray(first, first + count));
  }

  /** Copies a and b back into channels [first, first + count). */
  getParams(a: Float32Array, b: Float32Array, first: number, count: number): void {
    a.set(new Float32Array(this.k.memory.buffer, this.a, count), first);
    b.set(new Float32Array(this.k.memory.buffer, this.b, count), first);
  }

  putValues(values: Float32Array, start: number, count: number): void {
    new Float32Array(this.k.memory.buffer, this.src, count).set(values.subarray(start, start + count));
  }

  output(count: number): Uint8Array {
    return new Uint8Array(this.k.memory.buffer, this.dst, count);
  }
}

/**
 * One piece of a per-channel tensor: `rows` × `len` elements from `start`, and the first channel
 * they belong to. In the last-axis layout (inner = 1) the piece is whole rows of all channels.
 */
interface Piece {
  start: number;
  rows: number;
  len: number;
  channel: number;
}

/** The pieces, in memory order, that cover the tensor with at most CHUNK_ELEMENTS each. */
function* pieces({ outer, channels, inner }: ChannelLayout): Generator<Piece> {
  if (inner === 1) {
    const rowsPerPiece = Math.max(1, Math.floor(CHUNK_ELEMENTS / channels));
    for (let r = 0; r < outer; r += rowsPerPiece) yield { start: r * channels, rows: Math.min(rowsPerPiece, outer - r), len: channels, channel: 0 };
    return;
  }
  for (let o = 0; o < outer; o++) {
    if (inner > CHUNK_ELEMENTS) {
      // one channel's run is longer than a piece (a per-tensor weight): split the run
      for (let c = 0; c < channels; c++) {
        const base = (o * channels + c) * inner;
        for (let i = 0; i < inner; i += CHUNK_ELEMENTS) yield { start: base + i, rows: 1, len: Math.min(CHUNK_ELEMENTS, inner - i), channel: c };
      }
      continue;
    }
    const perPiece = Math.floor(CHUNK_ELEMENTS / inner);
    for (let c = 0; c < channels; c += perPiece) yield { start: (o * channels + c) * inner, rows: Math.min(perPiece, channels - c), len: inner, channel: c };
  }
}

/** A last-axis row must fit in one piece; other layouts split anywhere. */
const fits = (layout: ChannelLayout) => layout.inner !== 1 || layout.channels <= CHUNK_ELEMENTS;

/** Per-channel arrays handed to the kernels: all channels in the last-axis layout, else a piece's rows. */
function paramCount({ channels, inner }: ChannelLayout): number {
  return inner === 1 ? channels : inner > CHUNK_ELEMENTS ? 1 : Math.min(channels, Math.floor(CHUNK_ELEMENTS / inner));
}

/**
 * Widens mins/maxs (one per channel, float32) to cover each channel's values. Returns false
 * (leaving them untouched) when the kernels are unavailable or the channel count is too large.
 */
export function channelRangeWasm(values: Float32Array, layout: ChannelLayout, mins: Float32Array, maxs: Float32Array): boolean {
  const k = weightKernels();
  if (!k || !fits(layout)) return false;
  const lastAxis = layout.inner === 1;
  const at = new Workspace(k, paramCount(layout));
  if (lastAxis) at.putParams(mins, maxs, 0, layout.channels);
  for (const p of pieces(layout)) {
    at.putValues(values, p.start, p.rows * p.len);
    if (lastAxis) {
      k.rangeCols(at.src, p.rows, p.len, at.a, at.b);
      continue;
    }
    at.putParams(mins, maxs, p.channel, p.rows);
    k.rangeRows(at.src, p.rows, p.len, at.a, at.b);
    at.getParams(mins, maxs, p.channel, p.rows);
  }
  if (lastAxis) at.getParams(mins, maxs, 0, layout.channels);
  return true;
}

/**
 * out = saturate(round_half_to_even(x / scale[c]) + zeroPoint[c]) into [qmin, qmax], per channel,
 * with float32 division as ONNX's QuantizeLinear specifies. Returns false (writing nothing) when
 * the kernels are unavailable or the channel count is too large.
 */
export function quantizeChannelsWasm(
  values: Float32Array,
  layout: ChannelLayout,
  scales: Float32Array,
  zeroPoints: Float32Array,
  qmin: number,
  qmax: number,
  out: Int8Array | Uint8Array,
): boolean {
  const k = weightKernels();
  if (!k || !fits(layout)) return false;
  const lastAxis = layout.inner === 1;
  const at = new Workspace(k, paramCount(layout));
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.length);
  if (lastAxis) at.putParams(scales, zeroPoints, 0, layout.channels);
  for (const p of pieces(layout)) {
    const n = p.rows * p.len;
    at.putValues(values, p.start, n);
    if (lastAxis) {
      k.quantizeCols(at.src, p.rows, p.len, at.a, at.b, qmin, qmax, at.dst);
    } else {
      at.putParams(scales, zeroPoints, p.channel, p.rows);
      k.quantizeRows(at.src, p.rows, p.len, at.a, at.b, qmin, qmax, at.dst);
    }
    bytes.set(at.output(n), p.start);
  }
  return true;
}
