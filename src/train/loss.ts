import { ROUNDER } from '../quant/rounding.js';

/** What one shard's loss reports: sums, so that shards add up in any grouping. */
export interface LossOutcome {
  /** Σ over samples of the loss the objective sees (for the 8-bit loss: L_q / Q). */
  lossSum: number;
  /** Samples whose largest logit is the label (ties to the lowest index, like top-1 everywhere in lowbit). */
  correct: number;
  /** 8-bit loss only: samples whose L·Q passed 255 (clipped: no gradient). */
  saturated?: number;
  /** 8-bit loss only: gradient elements that were not zero in float and rounded to 0 in int8. */
  vanished?: number;
}

/** Which loss a training run uses. */
export type LossSpec = { type: 'cross-entropy' } | { type: 'quantized'; lossScale: number };

/**
 * Softmax cross-entropy of each row of `logits` [n, classes] against integer labels. Writes
 * dL/dlogits = (softmax − onehot) · gradScale into `dLogits` (gradScale = 1 / batch size, so that
 * shards of a batch add up to the gradient of the batch's mean loss).
 */
export function softmaxCrossEntropy(logits: Float32Array, labels: ArrayLike<number>, n: number, classes: number, dLogits: Float32Array, gradScale: number): LossOutcome {
  let lossSum = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const base = i * classes;
    const label = labels[i]!;
    const { max, logSum, argmax } = rowStats(logits, base, classes);
    lossSum += logSum - (logits[base + label]! - max);
    if (argmax === label) correct++;
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(logits[base + c]! - max - logSum);
      dLogits[base + c] = (p - (c === label ? 1 : 0)) * gradScale;
    }
  }
  return { lossSum, correct };
}

/** Largest logit, its index, and log Σ exp(z − max): a softmax that cannot overflow. */
export function rowStats(logits: Float32Array, base: number, classes: number): { max: number; logSum: number; argmax: number } {
  let max = -Infinity;
  let argmax = 0;
  for (let c = 0; c < classes; c++) {
    const v = logits[base + c]!;
    if (v > max) {
      max = v;
      argmax = c;
    }
  }
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c]! - max);
  return { max, logSum: Math.log(sum), argmax };
}

/** Largest |Q| for which the gradient Q·(p − y) ∈ [−Q, Q] fits int8's symmetric range unclipped. */
export const MAX_LOSS_SCALE = 127;

const rint = (x: number) => x + ROUNDER - ROUNDER;

/**
 * The seed's 8-bit loss, per sample: with Q the loss scale ("x_q = round(x·Q)"),
 *
 *   L_q = round(clip(L·Q, 0, 255))                 the loss, uint8
 *   G   = ∂L_q/∂z = Q·(softmax(z) − onehot(y))      straight-through: round passes the gradient,
 *         and 0 where L·Q > 255                     clip stops it where it saturated
 *   G_q = round(clip(G, −127, 127))                 the gradient that leaves the loss, int8
 *
 * G has both signs (the label's entry is ≤ 0, the others ≥ 0), so it cannot live in [0, 255]; it is
 * carried as signed 8-bit with the same scale Q (Q ≤ 127 keeps it from clipping). The backward pass
 * starts from dL/dz = G_q / Q · gradScale: the float gradient with every entry rounded to a multiple
 * of 1/Q, entries under 1/(2Q) gone, and nothing at all from samples whose loss saturated.
 * Rounding is half to even throughout, as everywhere in lowbit.
 */
export function quantizedSoftmaxCrossEntropy(
  logits: Float32Array,
  labels: ArrayLike<number>,
  n: number,
  classes: number,
  dLogits: Float32Array,
  gradScale: number,
  lossScale: number,
): LossOutcome {
  const Q = lossScale;
  let lossSum = 0;
  let correct = 0;
  let saturated = 0;
  let vanished = 0;
  for (let i = 0; i < n; i++) {
    const base = i * classes;
    const label = labels[i]!;
    const { max, logSum, argmax } = rowStats(logits, base, classes);
    if (argmax === label) correct++;
    const loss = logSum - (logits[base + label]! - max);
    const scaled = loss * Q;
    const lossQ = rint(Math.min(255, Math.max(0, scaled)));
    lossSum += lossQ / Q;
    const through = scaled <= 255;
    if (!through) saturated++;
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(logits[base + c]! - max - logSum);
      const g = through ? Q * (p - (c === label ? 1 : 0)) : 0;
      const gq = rint(Math.min(127, Math.max(-127, g)));
      if (gq === 0 && g !== 0) vanished++;
      dLogits[base + c] = (gq / Q) * gradScale;
    }
  }
  return { lossSum, correct, saturated, vanished };
}

export function computeLoss(spec: LossSpec, logits: Float32Array, labels: ArrayLike<number>, n: number, classes: number, dLogits: Float32Array, gradScale: number): LossOutcome {
  return spec.type === 'quantized'
    ? quantizedSoftmaxCrossEntropy(logits, labels, n, classes, dLogits, gradScale, spec.lossScale)
    : softmaxCrossEntropy(logits, labels, n, classes, dLogits, gradScale);
}
