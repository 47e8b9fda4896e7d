import { DataType } from '../ir/dtype.js';
import { removeUnreadInitializers } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import { toFloat32 } from '../ir/tensor/values.js';
import type { Value } from '../ir/value.js';
import { rewriteEachNode, type Pass } from './pass.js';

/**
 * Fold a per-channel affine that follows a Conv — Mul by a constant, then Add of a constant, each
 * one value per output channel (or one for all) — into the Conv's weights and bias. Exporters that
 * decompose BatchNormalization write exactly this (PaddleOCR: Conv → Mul → Add). Besides saving
 * two ops, it matters for int8: before the scale, channels of the Conv output can differ in range
 * by orders of magnitude, and one activation scale for the tensor then wipes out the small ones.
 */
export const foldConvAffinePass: Pass = rewriteEachNode('fold-conv-affine', 'Conv', foldNext);

/** Fold the single Mul or Add reading this Conv's output, if it is a per-channel constant. */
function foldNext(model: Model, conv: Node): boolean {
  const out = conv.output();
  const uses = out.uses();
  if (uses.length !== 1 || out.isGraphOutput()) return false;
  const next = uses[0]!.node;
  if ((next.opType !== 'Mul' && next.opType !== 'Add') || next.domain !== '' || next.graph !== conv.graph) return false;
  const w = conv.input(1)?.constTensor();
  if (!w || w.dtype !== DataType.FLOAT || w.dims.length < 3) return false;
  const channels = w.dims[0]!;
  const constant = next.input(1 - uses[0]!.index);
  const per = constant ? perChannel(constant, channels, w.dims.length) : undefined;
  if (!per) return false;
  const bias = conv.input(2)?.constTensor();
  if (conv.input(2) && (!bias || bias.dtype !== DataType.FLOAT)) return false;
  const weights = toFloat32(w);
  const b = bias ? Float32Array.from(toFloat32(bias)) : new Float32Array(channels);
  let newWeights = weights;
  if (next.opType === 'Mul') {
    newWeights = new Float32Array(weights.length);
    const size = weights.length / channels;
    for (let c = 0; c < channels; c++) {
      for (let i = c * size; i < (c + 1) * size; i++) newWeights[i] = weights[i]! * per[c]!;
      b[c] = b[c]! * per[c]!;
    }
  } else {
    for (let c = 0; c < channels; c++) b[c] = b[c]! + per[c]!;
  }
  const graph = conv.graph!;
  const base = conv.name || out.name;
  const replaced = [conv.input(1), conv.input(2), constant];
  if (newWeights !== weights) conv.replaceInput(1, graph.addInitializer(model.freshName(`${base}_affine_weight`), DenseTensor.fromTyped(DataType.FLOAT, [...w.dims], newWeights)));
  conv.replaceInput(2, graph.addInitializer(model.freshName(`${base}_affine_bias`), DenseTensor.fromTyped(DataType.FLOAT, [channels], b)));
  // The folded op's output keeps its name; the Conv now produces it.
  const result = next.output();
  next.setOutput(0, null);
  graph.removeNode(next);
  out.replaceAllUsesWith(result);
  conv.setOutput(0, result);
  removeUnreadInitializers(replaced);
  return true;
}

/** One value per output channel from a constant shaped [C,1,…], [1,C,1,…] or a scalar; else undefined. */
export function perChannel(v: Value, channels: number, convRank: number): Float32Array | undefined {
  const t = v.constTensor();
  if (!t || t.dtype !== DataType.FLOAT) return undefined;
  const values = toFloat32(t);
  if (t.size === 1) return new Float32Array(channels).fill(values[0]!);
  if (t.size !== channels) return undefined;
  // Broadcast against [N, C, spatial…]: the channel dim must line up with axis 1.
  const dims = [...t.dims];
  while (dims.length < convRank) dims.unshift(1);
  if (dims.length !== convRank) return undefined;
  return dims[1] === channels && dims.every((d, i) => i === 1 || d === 1) ? values : undefined;
}
