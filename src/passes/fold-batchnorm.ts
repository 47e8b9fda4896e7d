import { DataType } from '../ir/dtype.js';
import { removeUnreadInitializers } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import { toFloat32 } from '../ir/tensor/values.js';
import type { Pass } from './pass.js';

/**
 * Fold an inference BatchNormalization into the Conv before it: W' = W·γ/√(σ²+ε) per output
 * channel, b' = (b − μ)·γ/√(σ²+ε) + β. One Conv instead of two ops, and the int8 Conv then sees the
 * real weights. Applies only where the Conv's output feeds nothing but the BatchNormalization and
 * every parameter is constant.
 */
export const foldBatchNormPass: Pass = {
  name: 'fold-batchnorm',
  run(model: Model) {
    let modified = false;
    for (const graph of model.allGraphs()) {
      for (const bn of graph.nodes) {
        if (bn.opType !== 'BatchNormalization' || bn.domain !== '') continue;
        const conv = bn.input(0)?.producer();
        if (conv && foldable(conv, bn)) {
          fold(model, conv, bn);
          modified = true;
        }
      }
    }
    return { model, modified };
  },
};

function foldable(conv: Node, bn: Node): boolean {
  if (conv.opType !== 'Conv' || conv.domain !== '' || conv.graph !== bn.graph) return false;
  const out = conv.output();
  if (out.uses().length !== 1 || out.isGraphOutput()) return false;
  if (bn.outputs.length > 1 && bn.outputs.slice(1).some((o) => o && (o.uses().length > 0 || o.isGraphOutput()))) return false;
  if (bn.attrInt('training_mode', 0) !== 0) return false;
  const w = conv.input(1)?.constTensor();
  if (!w || w.dtype !== DataType.FLOAT || w.dims.length < 3) return false;
  const b = conv.input(2);
  if (b && b.constTensor()?.dtype !== DataType.FLOAT) return false;
  return [1, 2, 3, 4].every((i) => {
    const t = bn.input(i)?.constTensor();
    return t !== undefined && t.dtype === DataType.FLOAT && t.size === w.dims[0];
  });
}

function fold(model: Model, conv: Node, bn: Node): void {
  const graph = conv.graph!;
  const w = conv.input(1)!.constTensor()!;
  const weights = toFloat32(w);
  const channels = w.dims[0]!;
  const per = weights.length / channels;
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => toFloat32(bn.input(i)!.constTensor()!)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const eps = bn.attrFloat('epsilon', 1e-5);
  const bias = conv.input(2)?.constTensor();
  const oldBias = bias ? toFloat32(bias) : new Float32Array(channels);
  const newWeights = new Float32Array(weights.length);
  const newBias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const factor = gamma[c]! / Math.sqrt(variance[c]! + eps);
    for (let i = c * per; i < (c + 1) * per; i++) newWeights[i] = weights[i]! * factor;
    newBias[c] = (oldBias[c]! - mean[c]!) * factor + beta[c]!;
  }
  const replaced = [conv.input(1), conv.input(2), ...[1, 2, 3, 4].map((i) => bn.input(i))].filter((v) => v !== undefined);
  const base = conv.name || conv.output().name;
  conv.replaceInput(1, graph.addInitializer(model.freshName(`${base}_folded_weight`), DenseTensor.fromTyped(DataType.FLOAT, [...w.dims], newWeights)));
  conv.replaceInput(2, graph.addInitializer(model.freshName(`${base}_folded_bias`), DenseTensor.fromTyped(DataType.FLOAT, [channels], newBias)));
  // The BatchNormalization's output keeps its name: readers and graph outputs are unchanged.
  const out = bn.output();
  const convOut = conv.output();
  bn.setOutput(0, null);
  graph.removeNode(bn);
  convOut.replaceAllUsesWith(out);
  conv.setOutput(0, out);
  out.type ??= convOut.type;
  removeUnreadInitializers(replaced);
}
