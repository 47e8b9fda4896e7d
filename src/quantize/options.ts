import { UsageError } from '../errors.js';
import type { Model } from '../ir/model.js';
import type { Diagnostic } from '../diagnostics.js';

export const MODES = ['weights-int8', 'dynamic', 'fp16', 'int8', 'int4'] as const;
export type QuantizeMode = (typeof MODES)[number];
/** Modes implemented in this version; the others are planned and refused with a clear message. */
export const AVAILABLE_MODES: readonly QuantizeMode[] = ['weights-int8', 'dynamic', 'fp16', 'int8'];

export interface QuantizeOptions {
  mode: QuantizeMode;
  /** One scale per tensor instead of per output channel. */
  perTensor?: boolean;
  /** Weights: symmetric int8 (default) or asymmetric uint8. */
  symmetric?: boolean;
  /** 7-bit weights for processors without VNNI. */
  reduceRange?: boolean;
  /** Node names or op types to leave in float. */
  exclude?: string[];
  /** Quantize Gather embedding tables (int8 weight-only): off by default in weights-int8, on in dynamic. */
  gather?: boolean;
  /** fp16: keep float32 model inputs and outputs (default true). */
  keepIoTypes?: boolean;
  /** fp16: extra op types to keep in float32. */
  fp16Block?: string[];
  /** Run the checker after each pass and name a pass that breaks the graph. */
  debug?: boolean;
  /** int8: activation type (uint8 asymmetric by default, int8 symmetric). */
  activations?: 'uint8' | 'int8';
  /**
   * int8: measures the range of each named tensor of the (prepared, float) model on calibration
   * data. The Node layer builds one from a data source and onnxruntime (src/node/calibrator.ts).
   */
  calibrate?: (model: Model, tensors: string[]) => Promise<CalibrationOutcome>;
}

export interface CalibrationOutcome {
  ranges: Map<string, { min: number; max: number }>;
  /** Samples the ranges were measured on. */
  samples?: number;
  /** Tensors that got no range, with the reason. */
  warnings?: Diagnostic[];
}

export function checkOptions(options: QuantizeOptions): void {
  if (!MODES.includes(options.mode)) {
    throw new UsageError(`unknown mode '${options.mode}': choose one of ${MODES.join(', ')}`, { code: 'bad-mode' });
  }
  if (!AVAILABLE_MODES.includes(options.mode)) {
    throw new UsageError(`mode '${options.mode}' is not available in this version yet (available: ${AVAILABLE_MODES.join(', ')})`, { code: 'mode-unavailable' });
  }
}
