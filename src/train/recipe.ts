import type { LossSpec } from './loss.js';
import type { OptimizerSpec } from './optim.js';

/** How the seed LeNet is trained and fine-tuned: the numbers behind `lowbit demo`, kept in one place. */
export interface Recipe {
  batchSize: number;
  optimizer: OptimizerSpec;
  schedule: 'constant' | 'cosine';
  /** Random translation of training digits by up to this many pixels. */
  shift: number;
}

/** Float training: Adam, cosine decay, digits shifted by up to 2 pixels (8,000 digits overfit quickly without it). */
export const FP32_RECIPE: Recipe = { batchSize: 32, optimizer: { type: 'adam', lr: 2e-3 }, schedule: 'cosine', shift: 2 };

/** QAT fine-tuning from the float model: a tenth of the learning rate, same batches and augmentation. */
export const QAT_RECIPE: Recipe = { batchSize: 32, optimizer: { type: 'adam', lr: 2e-4 }, schedule: 'cosine', shift: 2 };

/** Training digits the fake quantizers' ranges (and post-training calibration) are first measured on. */
export const CALIBRATION_DIGITS = 1000;

/**
 * Scale Q of the seed's 8-bit loss (L_q = round(clip(L·Q, 0, 255))): 32 keeps losses up to 7.97
 * (a digit given probability 0.0003) and a gradient step of 1/32; see loss.ts and the report.
 */
export const DEFAULT_LOSS_SCALE = 32;

export const quantizedLoss = (lossScale: number): LossSpec => ({ type: 'quantized', lossScale });

/** Bump when anything above changes, so that cached demo models are retrained. */
export const RECIPE_VERSION = 1;
