import { entropyRange } from './entropy.js';
import { UINT8_ASYMMETRIC, type ActivationGrid } from './grid.js';
import { HistogramObserver } from './histogram-observer.js';
import { MinMaxObserver } from './minmax.js';
import { mseRange } from './mse.js';
import type { Observer } from './observer.js';
import { percentileRange } from './percentile.js';

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy' | 'mse';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy', 'mse'];

/** onnxruntime's default percentile. */
export const DEFAULT_PERCENTILE = 99.99;

export interface ObserverOptions {
  /** Percentile method: keep this percentage of values (default 99.99). */
  percentile?: number;
  /** Minmax method: exponential moving average of per-sample extremes with this constant. */
  movingAverage?: number;
  /** The grid the activations go onto (default uint8 asymmetric). */
  grid?: ActivationGrid;
  /** Histogram bins (tests use few). */
  histogramSlots?: number;
}

export function createObserver(method: CalibrationMethod, options: ObserverOptions = {}): Observer {
  const grid = options.grid ?? UINT8_ASYMMETRIC;
  switch (method) {
    case 'minmax':
      return new MinMaxObserver(options.movingAverage);
    case 'percentile': {
      const p = options.percentile ?? DEFAULT_PERCENTILE;
      return new HistogramObserver((h) => percentileRange(h, p, grid.symmetric), options.histogramSlots);
    }
    case 'entropy':
      return new HistogramObserver((h) => entropyRange(h, grid), options.histogramSlots);
    case 'mse':
      return new HistogramObserver((h) => mseRange(h, grid), options.histogramSlots);
    default:
      throw new RangeError(`unknown calibration method '${String(method)}' (use ${CALIBRATION_METHODS.join(', ')})`);
  }
}
