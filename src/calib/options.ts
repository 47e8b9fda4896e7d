import type { Diagnostic } from '../diagnostics.js';
import { UsageError } from '../errors.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from './observers/create-observer.js';
import type { ActivationGrid } from './observers/grid.js';
import type { Range } from './observers/observer.js';

/** When one run with every observed tensor as an output would return more, tensors go in groups. */
export const DEFAULT_MAX_OUTPUT_BYTES = 512 * 2 ** 20;

export interface CalibrationProgress {
  /** Model runs done, over all groups. */
  done: number;
  /** Runs in all, when the source's size is known. */
  total?: number;
  etaSeconds?: number;
  /** Which pass over the data (1-based) and how many, when tensors are observed in groups. */
  group?: number;
  groups?: number;
  /** Set on the one report sent after the last sample of a statistics pass (bias correction's): the pass is over. */
  final?: boolean;
}

export interface CalibrateOptions {
  method: CalibrationMethod;
  /** percentile: keep this percentage of values (default 99.99). */
  percentile?: number;
  /** minmax: exponential moving average of each sample's extremes with this constant (off by default). */
  movingAverage?: number;
  /** Use at most this many samples. */
  maxSamples?: number;
  /** Bytes of outputs one run may return (default 512 MiB); beyond it, one pass over the data per group. */
  maxOutputBytesPerRun?: number;
  /** The grid activations go onto, which entropy and mse optimise for (default uint8 asymmetric). */
  grid?: ActivationGrid;
  onProgress?: (progress: CalibrationProgress) => void;
}

export interface CalibrationTimings {
  /** Copying the model, adding outputs, encoding it, creating the session. */
  prepare: number;
  /** Waiting for samples from the source (file reads, image decoding). */
  read: number;
  /** onnxruntime runs. */
  run: number;
  /** Observers taking in the outputs. */
  observe: number;
  /** Turning histograms into ranges (entropy and mse searches). */
  ranges: number;
  total: number;
}

export interface CalibrationResult {
  /** The range of each observed tensor, by name. */
  ranges: Map<string, Range>;
  /** Samples seen (per pass). */
  samples: number;
  /** Passes over the data. */
  groups: number;
  /** Tensors that got no range, each with the reason. */
  skipped: Diagnostic[];
  timingsMs: CalibrationTimings;
}

export function checkOptions(options: CalibrateOptions): void {
  const bad = (message: string) => new UsageError(message, { code: 'bad-option' });
  if (!CALIBRATION_METHODS.includes(options.method)) throw bad(`calibration method '${String(options.method)}' is not one of ${CALIBRATION_METHODS.join(', ')}`);
  const { percentile, movingAverage, maxSamples, maxOutputBytesPerRun } = options;
  if (percentile !== undefined && !(percentile > 0 && percentile <= 100)) throw bad(`percentile must be in (0, 100], not ${percentile}`);
  if (movingAverage !== undefined && !(movingAverage > 0 && movingAverage <= 1)) throw bad(`moving-average constant must be in (0, 1], not ${movingAverage}`);
  if (maxSamples !== undefined && !(Number.isInteger(maxSamples) && maxSamples >= 1)) throw bad(`the number of samples must be a positive integer, not ${maxSamples}`);
  if (maxOutputBytesPerRun !== undefined && !(maxOutputBytesPerRun > 0)) throw bad(`maxOutputBytesPerRun must be positive, not ${maxOutputBytesPerRun}`);
}
