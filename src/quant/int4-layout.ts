import { blockCount, packInt4, unpackInt4 } from './int4.js';
import { SYMMETRIC_ZERO, type Int4Blocks } from './int4-blocks.js';

// The two on-disk forms of a block-quantized [K, N] weight. Both keep the numbers of Int4Blocks
// exactly; only the order and the packing differ.

/** com.microsoft MatMulNBits inputs (bits = 4 or 8), per onnxruntime's ContribOperators.md. */
export interface MatMulNBitsWeight {
  /**
   * uint8 [N, kBlocks, blockSize × bits / 8]: column n's codes along K, 4-bit ones two per byte,
   * low nibble first; the last block padded with the code nearest its zero point.
   */
  b: Uint8Array;
  /** [N, kBlocks], transposed from Int4Blocks' [kBlocks, N]. */
  scales: Float32Array;
  /**
   * Integer zero points: uint8 [N, ceil(kBlocks × bits / 8)], packed like B. Float zero points
   * (Float32Array): [N, kBlocks], stored in the activation's type. Absent when symmetric (the op's
   * default zero point is 2^(bits−1)).
   */
  zeroPoints: Uint8Array | Float32Array | undefined;
}

export function toMatMulNBits(blocks: Int4Blocks): MatMulNBitsWeight {
  const { k, n, blockSize, codes, scales, zeros, symmetric, bits } = blocks;
  const kBlocks = blockCount(k, blockSize);
  const blob = (blockSize * bits) / 8;
  const pack = (values: Uint8Array, out: Uint8Array) => (bits === 4 ? packInt4(values, out) : out.set(values));
  const b = new Uint8Array(n * kBlocks * blob);
  const column = new Uint8Array(kBlocks * blockSize);
  const t = new Float32Array(n * kBlocks);
  const floatZeros = zeros instanceof Float32Array;
  const zpStride = floatZeros ? kBlocks : Math.ceil((kBlocks * bits) / 8);
  const zp = symmetric ? undefined : floatZeros ? new Float32Array(n * zpStride) : new Uint8Array(n * zpStride);
  const zpColumn = new Uint8Array(kBlocks);
  const last = (kBlocks - 1) * n;
  for (let c = 0; c < n; c++) {
    for (let r = 0; r < k; r++) column[r] = codes[r * n + c]!;
    // Padding past K dequantizes to (nearly) 0, whatever the kernel does with it.
    column.fill(Math.min((1 << bits) - 1, Math.max(0, Math.round(zeros[last + c]!))), k);
    pack(column, b.subarray(c * kBlocks * blob, (c + 1) * kBlocks * blob));
    for (let j = 0; j < kBlocks; j++) {
      t[c * kBlocks + j] = scales[j * n + c]!;
      if (zp instanceof Float32Array) zp[c * zpStride + j] = zeros[j * n + c]!;
      else zpColumn[j] = zeros[j * n + c]!;
    }
    if (zp instanceof Uint8Array) pack(zpColumn, zp.subarray(c * zpStride, (c + 1) * zpStride));
  }
  return { b, scales: t, zeroPoints: zp };
}

/** Back from MatMulNBits inputs (tests and benchmarks read our outputs with it). */
export function fromMatMulNBits(weight: MatMulNBitsWeight, k: number, n: number, blockSize: number, bits: 4 | 8 = 4): Int4Blocks {
  const kBlocks = blockCount(k, blockSize);
  const blob = (blockSize * bits) / 8;
  const unpack = (bytes: Uint8Array, count: number) => (bits === 4 ? unpackInt4(bytes, count) : bytes.subarray(0, count));
  const codes = new Uint8Array(k * n);
  const scales = new Float32Array(kBlocks * n);
  const floatZeros = weight.zeroPoints instanceof Float32Array;
  const zeros = floatZeros ? new Float32Array(kBlocks * n) : new Uint8Array(kBlocks * n).fill(1 << (bits - 1));
  const zpStride = floatZeros ? kBlocks : Math.ceil((kBlocks * bits) / 8);
  for (let c = 0; c < n; c++) {
    const column = unpack(weight.b.subarray(c * kBlocks * blob, (c + 1) * kBlocks * blob), k);
    for (let r = 0; r < k; r++) codes[r * n + c] = column[r]!;
    const zp = weight.zeroPoints instanceof Float32Array ? weight.zeroPoints.subarray(c * zpStride) : weight.zeroPoints ? unpack(weight.zeroPoints.subarray(c * zpStride, (c + 1) * zpStride), kBlocks) : undefined;
    for (let j = 0; j < kBlocks; j++) {
      scales[j * n + c] = weight.scales[c * kBlocks + j]!;
      if (zp) zeros[j * n + c] = zp[j]!;
    }
  }
  return { k, n, blockSize, symmetric: weight.zeroPoints === undefined, bits, codes, scales, zeros };
}

/**
 * Standard ONNX (opset 21): DequantizeLinear(axis = 0, block_size) of a [K, N] int4 (symmetric:
 * code − 8, no zero point) or uint4 (asymmetric, with uint4 zero points) tensor, scales [kBlocks, N].
 */
export interface BlockedQdqWeight {
  /** [K, N] packed flat, low nibble first: INT4 two's complement when symmetric, else UINT4. */
  values: Uint8Array;
  signed: boolean;
  /** [kBlocks, N] */
  scales: Float32Array;
  /** [kBlocks, N] UINT4 packed flat; absent when symmetric. */
  zeroPoints: Uint8Array | undefined;
}

export function toBlockedQdq(blocks: Int4Blocks): BlockedQdqWeight {
  const { codes, scales, zeros, symmetric } = blocks;
  if (zeros instanceof Float32Array) throw new TypeError('blocked DequantizeLinear takes integer zero points only');
  if (!symmetric) return { values: packInt4(codes), signed: false, scales, zeroPoints: packInt4(zeros) };
  const signed = new Int8Array(codes.length);
  for (let i = 0; i < codes.length; i++) signed[i] = codes[i]! - SYMMETRIC_ZERO;
  return { values: packInt4(signed), signed: true, scales, zeroPoints: undefined };
}

/**
 * com.microsoft GatherBlockQuantized inputs for a [V, D] table quantized in blocks along D
 * (quantize_axis 1). `blocks` holds the transposed table ([D, V]: K = D, N = V), so its blocks run
 * along D. 4 bits: int4 (symmetric, code − 8, no zero point: the op's default is 0) or uint4 with
 * uint4 zero points, [V, D] packed flat; 8 bits: uint8 codes, zero points uint8 or absent (the
 * op's default is 128).
 */
export interface GatherBlocksWeight {
  data: Uint8Array;
  /** 4 bits: whether `data` is int4 (else uint4); 8 bits: always uint8. */
  signed: boolean;
  /** [V, kBlocks] */
  scales: Float32Array;
  /** [V, kBlocks], packed like data; absent when symmetric. */
  zeroPoints: Uint8Array | undefined;
}

export function toGatherBlocks(blocks: Int4Blocks): GatherBlocksWeight {
  const { k: d, n: v, blockSize, codes, scales, zeros, symmetric, bits } = blocks;
  if (zeros instanceof Float32Array) throw new TypeError('GatherBlockQuantized takes integer zero points only');
  const kBlocks = blockCount(d, blockSize);
  const signed = bits === 4 && symmetric;
  const rows = new Uint8Array(v * d);
  const shift = signed ? SYMMETRIC_ZERO : 0;
  for (let r = 0; r < d; r++) for (let c = 0; c < v; c++) rows[c * d + r] = (codes[r * v + c]! - shift) & 0xff;
  const t = new Float32Array(v * kBlocks);
  const z = new Uint8Array(v * kBlocks);
  for (let j = 0; j < kBlocks; j++) {
    for (let c = 0; c < v; c++) {
      t[c * kBlocks + j] = scales[j * v + c]!;
      z[c * kBlocks + j] = zeros[j * v + c]!;
    }
  }
  const pack = (a: Uint8Array) => (bits === 4 ? packInt4(a) : a);
  return { data: pack(rows), signed, scales: t, zeroPoints: symmetric ? undefined : pack(z) };
}

/** Back from the blocked DequantizeLinear form (tests and benchmarks read our outputs with it). */
export function fromBlockedQdq(weight: BlockedQdqWeight, k: number, n: number, blockSize: number): Int4Blocks {
  const codes = unpackInt4(weight.values, k * n, weight.signed);
  const unsigned = new Uint8Array(k * n);
  for (let i = 0; i < unsigned.length; i++) unsigned[i] = codes[i]! + (weight.signed ? SYMMETRIC_ZERO : 0);
  const zeros = weight.zeroPoints ? Uint8Array.from(unpackInt4(weight.zeroPoints, weight.scales.length)) : new Uint8Array(weight.scales.length).fill(SYMMETRIC_ZERO);
  return { k, n, blockSize, symmetric: !weight.zeroPoints, bits: 4, codes: unsigned, scales: weight.scales, zeros };
}
