import { channelRangeWasm, quantizeChannelsWasm } from './wasm/weight-kernels.js';
import { ROUNDER } from './rounding.js';
import { blockCount } from './int4.js';

/**
 * A [K, N] weight quantized to 4 bits in blocks of `blockSize` consecutive rows (along K, the
 * input dimension) of each column, as MatMulNBits and blocked DequantizeLinear(axis 0) read it.
 * Every value is `(code − zero) × scale` of its block. Symmetric blocks have zero = 8: the codes
 * are int4 values −8..7 shifted by 8, which is how MatMulNBits reads B without zero points.
 */
export interface Int4Blocks {
  k: number;
  n: number;
  blockSize: number;
  symmetric: boolean;
  /** 4, or 8 for GatherBlockQuantized tables (the same arithmetic with 256 levels). */
  bits: 4 | 8;
  /** Codes 0..15 (0..255 for 8 bits) in the weight's own [K, N] layout. */
  codes: Uint8Array;
  /** [kBlocks, N]: block b of column c at b × N + c. */
  scales: Float32Array;
  /**
   * [kBlocks, N], 0..15; 8 everywhere when symmetric (128 for 8 bits). Float zero points (hqq for
   * MatMulNBits, which accepts them) are a Float32Array; every other form stores integers.
   */
  zeros: Uint8Array | Float32Array;
}

export interface BlockShape {
  k: number;
  n: number;
  blockSize: number;
  symmetric: boolean;
  /** Default 4. */
  bits?: 4 | 8;
  /**
   * Rounds a scale to the precision it is stored in (Math.fround for float32 scales, through
   * float16 for q4f16), so that codes are chosen against the scale the runtime will use.
   */
  roundScale?: (scale: number) => number;
}

export const SYMMETRIC_ZERO = 8;
export const CODE_MAX = 15;

/** Largest code and the implicit (symmetric) zero point for a bit width. */
export function codeRange(bits: 4 | 8 = 4): { max: number; mid: number } {
  return { max: (1 << bits) - 1, mid: 1 << (bits - 1) };
}

/** Scales and zero points of each block, before codes are chosen. */
export interface BlockParams {
  scales: Float32Array;
  zeros: Uint8Array | Float32Array;
}

/**
 * Round-to-nearest parameters from each block's range, as onnxruntime's int4 quantizer chooses
 * them. Symmetric: the value of largest magnitude m (its sign kept) maps to −8, scale = m / −8, so
 * all 16 levels are used (a ±7 grid would waste one); on a tie the negative value wins, as there.
 * Asymmetric: the range widened to contain 0, scale = (max − min) / 15, zero = rint(−min / scale).
 */
export function rtnParams(w: ArrayLike<number>, shape: BlockShape): BlockParams {
  const { n, blockSize, symmetric } = shape;
  const { max, mid } = codeRange(shape.bits);
  const round = shape.roundScale ?? Math.fround;
  const blocks = blockCount(shape.k, blockSize);
  const scales = new Float32Array(blocks * n);
  const zeros = new Uint8Array(blocks * n);
  const lo = new Float32Array(n);
  const hi = new Float32Array(n);
  for (let b = 0; b < blocks; b++) {
    lo.fill(0);
    hi.fill(0);
    const r0 = b * blockSize;
    const r1 = Math.min(shape.k, r0 + blockSize);
    // The block's rows are a [rows, n] matrix with one channel per column: the SIMD range kernel's layout.
    const simd = w instanceof Float32Array && channelRangeWasm(w.subarray(r0 * n, r1 * n), { outer: r1 - r0, channels: n, inner: 1 }, lo, hi);
    if (!simd) for (let r = r0; r < r1; r++) {
      const row = r * n;
      for (let c = 0; c < n; c++) {
        const v = w[row + c]!;
        if (v < lo[c]!) lo[c] = v;
        else if (v > hi[c]!) hi[c] = v;
      }
    }
    const at = b * n;
    for (let c = 0; c < n; c++) {
      if (symmetric) {
        const m = hi[c]! > -lo[c]! ? hi[c]! : lo[c]!;
        scales[at + c] = round(m / -mid);
        zeros[at + c] = mid;
      } else {
        const s = round((hi[c]! - lo[c]!) / max);
        scales[at + c] = s;
        zeros[at + c] = s === 0 ? mid : clamp(rint(Math.fround(-lo[c]! / s)), max);
      }
    }
  }
  return { scales, zeros };
}

/** ONNX QuantizeLinear for one value: saturate(rint(float32(w / s)) + z) into 0..max; a zero scale gives z. */
export function quantizeValue(w: number, scale: number, zero: number, max = CODE_MAX): number {
  if (scale === 0) return zero;
  const q = rint(Math.fround(w / scale)) + zero;
  return q < 0 ? 0 : q > max ? max : q;
}

/** With a fractional zero point the zero is added before rounding: saturate(rint(w / s + z)). */
export function quantizeValueFloatZero(w: number, scale: number, zero: number, max = CODE_MAX): number {
  if (scale === 0) return clamp(rint(zero), max);
  const q = rint(Math.fround(w / scale) + zero);
  return q < 0 ? 0 : q > max ? max : q;
}

/** Codes of rows [rowStart, rowEnd) of `w` against the block parameters (indexed from block 0). */
export function quantizeRows(w: ArrayLike<number>, shape: BlockShape, params: BlockParams, codes: Uint8Array, rowStart = 0, rowEnd = shape.k): void {
  const { n, blockSize } = shape;
  const { max } = codeRange(shape.bits);
  if (w instanceof Float32Array && params.zeros instanceof Uint8Array && quantizeRowsWasm(w, shape, params as BlockParams & { zeros: Uint8Array }, codes, rowStart, rowEnd, max)) return;
  const quantize = params.zeros instanceof Float32Array ? quantizeValueFloatZero : quantizeValue;
  for (let r = rowStart; r < rowEnd; r++) {
    const at = Math.floor(r / blockSize) * n;
    const row = r * n;
    for (let c = 0; c < n; c++) codes[row + c] = quantize(w[row + c]!, params.scales[at + c]!, params.zeros[at + c]!, max);
  }
}

/** Round to nearest, block by block: what `--int4-method rtn` does. */
export function quantizeInt4Rtn(w: ArrayLike<number>, shape: BlockShape): Int4Blocks {
  const params = rtnParams(w, shape);
  const codes = new Uint8Array(shape.k * shape.n);
  quantizeRows(w, shape, params, codes);
  return { k: shape.k, n: shape.n, blockSize: shape.blockSize, symmetric: shape.symmetric, bits: shape.bits ?? 4, codes, ...params };
}

/** The float weight the runtime computes with: (code − zero) × scale, in float32, [K, N]. */
export function dequantizeInt4(blocks: Int4Blocks): Float32Array {
  const { k, n, blockSize, codes, scales, zeros } = blocks;
  const out = new Float32Array(k * n);
  for (let r = 0; r < k; r++) {
    const at = Math.floor(r / blockSize) * n;
    const row = r * n;
    for (let c = 0; c < n; c++) out[row + c] = Math.fround((codes[row + c]! - zeros[at + c]!) * scales[at + c]!);
  }
  return out;
}

/** Squared reconstruction error Σ(w − ŵ)² and the weight's energy Σw², in float64. */
export function reconstructionError(w: ArrayLike<number>, blocks: Int4Blocks): { sse: number; energy: number } {
  const deq = dequantizeInt4(blocks);
  let sse = 0;
  let energy = 0;
  for (let i = 0; i < deq.length; i++) {
    const v = w[i]!;
    const d = v - deq[i]!;
    sse += d * d;
    energy += v * v;
  }
  return { sse, energy };
}

function rint(x: number): number {
  return x + ROUNDER - ROUNDER;
}

function clamp(q: number, max: number): number {
  return q < 0 ? 0 : q > max ? max : q;
}

/**
 * quantizeRows with integer zero points in WebAssembly SIMD (wasm/weights.wat): block by block,
 * the rows are a [rows, n] matrix with one scale and zero per column, which is what the 8-bit
 * per-column kernel quantizes, into [0, max]. A zero scale (an all-zero block column) becomes 1
 * there, which gives the zero point as quantizeValue does. False when the kernels are unavailable.
 */
function quantizeRowsWasm(w: Float32Array, shape: BlockShape, params: BlockParams & { zeros: Uint8Array }, codes: Uint8Array, rowStart: number, rowEnd: number, max: number): boolean {
  const { n, blockSize } = shape;
  const scales = new Float32Array(n);
  const zeros = new Float32Array(n);
  for (let r0 = rowStart; r0 < rowEnd; ) {
    const block = Math.floor(r0 / blockSize);
    const r1 = Math.min(rowEnd, (block + 1) * blockSize);
    const at = block * n;
    for (let c = 0; c < n; c++) {
      const s = params.scales[at + c]!;
      scales[c] = s === 0 ? 1 : s;
      zeros[c] = params.zeros[at + c]!;
    }
    if (!quantizeChannelsWasm(w.subarray(r0 * n, r1 * n), { outer: r1 - r0, channels: n, inner: 1 }, scales, zeros, 0, max, codes.subarray(r0 * n, r1 * n))) return false;
    r0 = r1;
  }
  return true;
}
