import { UsageError } from '../../errors.js';
import { isValidBlockSize } from '../../quant/int4.js';
import { GPTQ_DEFAULTS, type GptqOptions } from '../../quant/gptq-core.js';
import { HQQ_DEFAULTS, type HqqOptions } from '../../quant/hqq.js';
import type { QuantizeOptions } from '../options.js';

/** MatMulNBits' accuracy_level when none is asked for: int8 activations, onnxruntime's fast CPU path. */
export const DEFAULT_ACCURACY_LEVEL = 4;

export const INT4_METHODS = ['rtn', 'hqq', 'gptq'] as const;
export type Int4Method = (typeof INT4_METHODS)[number];
export const INT4_FORMATS = ['nbits', 'qdq'] as const;
export type Int4Format = (typeof INT4_FORMATS)[number];

/** int4 options with every default filled in. */
export interface Int4Settings {
  blockSize: number;
  method: Int4Method;
  format: Int4Format;
  symmetric: boolean;
  /**
   * MatMulNBits accuracy_level; undefined leaves the attribute out (qdq). For nbits the default is 4
   * (int8 activations inside the kernel): measured about 0.2× of fp32 per token on a 2048-wide
   * decoder stack against 0.6–1.0× with level 0, for about 1% more KL on tinylm (BENCHMARKS.md).
   */
  accuracyLevel: number | undefined;
  /** Gather tables to GatherBlockQuantized with this many bits; undefined leaves them float. */
  gatherBits: 4 | 8 | undefined;
  hqq: Required<HqqOptions>;
  gptq: Required<GptqOptions>;
}

export const DEFAULT_BLOCK_SIZE = 32;

/**
 * Check and complete the int4 options; bad values are usage errors (the CLI exits with 2). The CLI
 * checks before it reads the model, when the calibration source is known but not yet opened:
 * `calibrationGiven` says whether there will be one.
 */
/**
 * The largest block: onnxruntime's MLAS 4-bit GEMM has kernels for blocks of 16 to 256 (its
 * dispatch table, qnbitgemm.cpp) and falls back to dequantizing the whole weight for others; a
 * block longer than a layer's K is padded with zeros, so a huge one multiplies the file's size.
 */
export const MAX_BLOCK_SIZE = 256;

export function int4Settings(options: QuantizeOptions, calibrationGiven = options.int4Calibration !== undefined): Int4Settings {
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!isValidBlockSize(blockSize) || blockSize > MAX_BLOCK_SIZE) {
    throw new UsageError(`--block-size must be 16, 32, 64, 128 or 256 (a power of two from 16 to ${MAX_BLOCK_SIZE}: onnxruntime's 4-bit kernels take no larger block, and a block longer than a layer's K is padded, so the file grows), got ${blockSize}`, { code: 'bad-block-size' });
  }
  const method = options.int4Method ?? 'rtn';
  if (!INT4_METHODS.includes(method)) throw new UsageError(`unknown --int4-method '${method}': choose one of ${INT4_METHODS.join(', ')}`, { code: 'bad-int4-method' });
  const format = options.int4Format ?? 'nbits';
  if (!INT4_FORMATS.includes(format)) throw new UsageError(`unknown --int4-format '${format}': choose nbits (com.microsoft MatMulNBits) or qdq (standard ONNX, opset 21)`, { code: 'bad-int4-format' });
  if (format === 'qdq' && options.gatherBits !== undefined) {
    throw new UsageError('--gather-bits writes com.microsoft GatherBlockQuantized, which --int4-format qdq (standard ONNX only) leaves out: drop one of them', { code: 'bad-option' });
  }
  const level = options.accuracyLevel;
  if (level !== undefined && (!Number.isInteger(level) || level < 0 || level > 4)) {
    throw new UsageError(`--accuracy-level must be 0, 1, 2, 3 or 4, got ${level}`, { code: 'bad-accuracy-level' });
  }
  if (level !== undefined && format === 'qdq') throw new UsageError('--accuracy-level is a MatMulNBits attribute; it has no meaning with --int4-format qdq', { code: 'bad-option' });
  const gatherBits = options.gatherBits;
  if (gatherBits !== undefined && gatherBits !== 4 && gatherBits !== 8) throw new UsageError(`--gather-bits must be 4 or 8, got ${String(gatherBits)}`, { code: 'bad-option' });
  if (method === 'gptq' && !calibrationGiven) {
    throw new UsageError('--int4-method gptq needs calibration data to measure each layer\'s inputs: --calib SOURCE (a folder of .npy/.npz files, or random)', { code: 'no-calibration' });
  }
  if (method !== 'gptq' && calibrationGiven) {
    throw new UsageError(`--calib is used by --int4-method gptq only; ${method} needs no data`, { code: 'bad-option' });
  }
  if (options.perTensor) throw new UsageError('--per-tensor does not apply to int4: its scales are per block (--block-size)', { code: 'bad-option' });
  if (options.reduceRange) throw new UsageError('--reduce-range does not apply to int4', { code: 'bad-option' });
  return {
    blockSize,
    method,
    format,
    symmetric: options.symmetric ?? true,
    accuracyLevel: level ?? (format === 'nbits' ? DEFAULT_ACCURACY_LEVEL : undefined),
    gatherBits,
    hqq: { ...HQQ_DEFAULTS, ...options.hqq },
    gptq: { ...GPTQ_DEFAULTS, ...options.gptq },
  };
}
