import { gatherBatch, sampleSize, type Dataset } from './data.js';
import { rowStats } from './loss.js';
import type { Net } from './net.js';

export interface NetEvaluation {
  count: number;
  correct: number;
  top1: number;
  /** The predicted class of each sample, in the order of the indices given. */
  predictions: Int32Array;
}

/**
 * Top-1 of the network in inference mode (batch-norm running statistics, fake quantization with
 * the tracked ranges) on the samples at `indices`; ties go to the lowest class index, as in
 * lowbit's eval.
 */
export function evaluateNet(net: Net, data: Dataset, indices: Int32Array, batch = 100): NetEvaluation {
  const size = sampleSize(data);
  const classes = net.outputSize;
  const x = new Float32Array(batch * size);
  const labels = new Int32Array(batch);
  const predictions = new Int32Array(indices.length);
  let correct = 0;
  for (let start = 0; start < indices.length; start += batch) {
    const part = indices.subarray(start, Math.min(indices.length, start + batch));
    gatherBatch(data, part, x, labels);
    const logits = net.forward(x, part.length, false);
    for (let i = 0; i < part.length; i++) {
      const predicted = rowStats(logits, i * classes, classes).argmax;
      predictions[start + i] = predicted;
      if (predicted === labels[i]) correct++;
    }
  }
  return { count: indices.length, correct, top1: indices.length ? correct / indices.length : 0, predictions };
}
