// The calibration API, for src/index.ts to re-export.
export { calibrate } from './calibrate.js';
export { DEFAULT_MAX_OUTPUT_BYTES } from './options.js';
export type { CalibrateOptions, CalibrationResult, CalibrationProgress, CalibrationTimings } from './options.js';
export { CALIBRATION_METHODS, DEFAULT_PERCENTILE, createObserver } from './observers/create-observer.js';
export type { CalibrationMethod, ObserverOptions } from './observers/create-observer.js';
export { UINT8_ASYMMETRIC } from './observers/grid.js';
export type { ActivationGrid } from './observers/grid.js';
export type { Observer, Range } from './observers/observer.js';
export { StreamingHistogram } from './observers/histogram.js';
export type { Histogram } from './observers/histogram.js';
export { percentileRange } from './observers/percentile.js';
export { entropyRange } from './observers/entropy.js';
export { mseRange } from './observers/mse.js';
