// 4-bit packing as ONNX (INT4/UINT4 raw_data) and onnxruntime's MatMulNBits / GatherBlockQuantized
// store it: two values per byte, the first in the low nibble. A trailing odd value leaves the high
// nibble zero.

/**
 * Pack 4-bit values two per byte, low nibble first. Signed values (-8..7) are stored in two's
 * complement, so INT4 and UINT4 share this function.
 */
export function packInt4(values: ArrayLike<number>, out: Uint8Array = new Uint8Array((values.length + 1) >> 1)): Uint8Array {
  const n = values.length;
  const pairs = n >> 1;
  for (let i = 0; i < pairs; i++) out[i] = (values[2 * i]! & 0x0f) | ((values[2 * i + 1]! & 0x0f) << 4);
  if (n & 1) out[pairs] = values[n - 1]! & 0x0f;
  return out;
}

/** The `count` 4-bit values of `bytes`, unsigned (0..15) or signed (-8..7). */
export function unpackInt4(bytes: Uint8Array, count: number, signed = false): Uint8Array | Int8Array {
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const nibble = (bytes[i >> 1]! >> ((i & 1) << 2)) & 0x0f;
    out[i] = signed && nibble > 7 ? nibble - 16 : nibble;
  }
  return out;
}

/** The smallest block MatMulNBits and blocked DequantizeLinear take. */
export const MIN_BLOCK_SIZE = 16;

/** MatMulNBits and blocked DequantizeLinear need a power of two of at least 16. */
export function isValidBlockSize(blockSize: number): boolean {
  return Number.isInteger(blockSize) && blockSize >= MIN_BLOCK_SIZE && (blockSize & (blockSize - 1)) === 0;
}

/** Blocks along K: the last one is partial when K is not a multiple of the block size. */
export function blockCount(k: number, blockSize: number): number {
  return Math.ceil(k / blockSize);
}
