import { removeUnreadInitializers } from '../ir/graph.js';
import { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import { toFloat32 } from '../ir/tensor/values.js';
import { perChannel } from './fold-conv-affine.js';
import { rewriteEachNode, type Pass } from './pass.js';

/**
 * Fold a per-channel affine that feeds a Conv — Mul by a constant and/or Add of a constant, one
 * value per input channel or one for all — into the Conv's weights and bias:
 * Conv(a·x + b) = Conv'(x) with W'[o,c,·] = a_c·W[o,c,·] and bias'[o] = bias[o] + Σ_c b_c·ΣW[o,c,·].
 * PaddleOCR's PP-LCNetV3 writes one after every hardswish (a learnable affine block). In static int8
 * each is two float ops with a requantization between the hardswish and the next QLinearConv;
 * folded, the hardswish's output goes straight in (det: a fifth of the int8 model's time went to
 * these ops and their Q/DQ).
 *
 * Exact where the Conv pads nothing: padding adds zeros where the float model saw b, so an Add
 * folds only into a Conv without padding; a Mul (zero stays zero) folds into any Conv.
 */
export const foldConvInputAffinePass: Pass = rewriteEachNode('fold-conv-input-affine', 'Conv', foldPrevious);

function padsNothing(conv: Node): boolean {
  const autoPad = conv.attrString('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') return false;
  return (conv.attrInts('pads') ?? []).every((p) => p === 0);
}

/** Fold the Mul or Add whose output only this Conv reads, if its other operand is a per-channel constant. */
function foldPrevious(model: Model, conv: Node): boolean {
  const x = conv.input(0);
  const prev = x?.producer();
  if (!x || !prev || prev.graph !== conv.graph || prev.domain !== '' || (prev.opType !== 'Mul' && prev.opType !== 'Add')) return false;
  if (x.uses().length !== 1 || x.isGraphOutput()) return false;
  if (prev.opType === 'Add' && !padsNothing(conv)) return false;
  const w = conv.input(1)?.constTensor();
  if (!w || w.dtype !== DataType.FLOAT || w.dims.length < 3) return false;
  const bias = conv.input(2)?.constTensor();
  if (conv.input(2) && (!bias || bias.dtype !== DataType.FLOAT)) return false;
  const constantIndex = prev.input(1)?.constTensor() ? 1 : prev.input(0)?.constTensor() ? 0 : -1;
  if (constantIndex < 0) return false;
  const data = prev.input(1 - constantIndex);
  const constant = prev.input(constantIndex)!;
  if (!data || data.constTensor()) return false;
  const group = conv.attrInt('group', 1);
  const [outChannels, perGroup] = [w.dims[0]!, w.dims[1]!];
  const per = perChannel(constant, perGroup * group, w.dims.length);
  if (!per) return false;

  const weights = toFloat32(w);
  const kernel = weights.length / (outChannels * perGroup);
  const outPerGroup = outChannels / group;
  const newWeights = prev.opType === 'Mul' ? new Float32Array(weights.length) : weights;
  const newBias = bias ? Float64Array.from(toFloat32(bias)) : new Float64Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    const firstChannel = Math.floor(o / outPerGroup) * perGroup;
    for (let ci = 0; ci < perGroup; ci++) {
      const k = per[firstChannel + ci]!;
      const base = (o * perGroup + ci) * kernel;
      for (let i = base; i < base + kernel; i++) {
        if (prev.opType === 'Mul') newWeights[i] = weights[i]! * k;
        else newBias[o] = newBias[o]! + k * weights[i]!;
      }
    }
  }
  const graph = conv.graph!;
  const base = conv.name || conv.output().name;
  const replaced = [conv.input(1), conv.input(2), constant];
  conv.replaceInput(0, data);
  if (prev.opType === 'Mul') {
    conv.replaceInput(1, graph.addInitializer(model.freshName(`${base}_input_scaled_weight`), DenseTensor.fromTyped(DataType.FLOAT, [...w.dims], newWeights)));
  } else {
    conv.replaceInput(2, graph.addInitializer(model.freshName(`${base}_input_shifted_bias`), DenseTensor.fromTyped(DataType.FLOAT, [outChannels], Float32Array.from(newBias))));
  }
  graph.removeNode(prev);
  removeUnreadInitializers(replaced);
  return true;
}
