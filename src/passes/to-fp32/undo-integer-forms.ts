import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { Node } from '../../ir/node.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { toFloat32 } from '../../ir/tensor/values.js';
import { isTensorType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import type { SkipReason } from '../../rules/rule.js';
import { removeIfDead, soleReader } from './dead-code.js';
import type { FloatWeights } from './float-weights.js';
import { floatOpFor, matchIntegerForm, type IntegerForm } from './integer-forms.js';

/**
 * Replace the dynamic-quantizer chain around a MatMulInteger or ConvInteger by MatMul or Conv on
 * the float input and the dequantized weight. For Conv, a following Add of a per-channel constant
 * bias (the quantizer's `Reshape(bias, [1, M, 1, 1])` + Add) becomes the Conv's bias input again.
 * Returns why the chain was left alone, or undefined when it was rewritten.
 */
export function undoIntegerForm(model: Model, op: Node, weights: FloatWeights): SkipReason | undefined {
  const floatOp = floatOpFor(op);
  if (!floatOp) return { code: 'fp32-not-integer-op', reason: `${op.opType} is not MatMulInteger or ConvInteger` };
  const form = matchIntegerForm(op);
  if (!('integerOp' in form)) return form;
  const weight = weights.get(form.weight);
  const bias = floatOp === 'Conv' ? foldableBias(form) : undefined;
  const last = bias ? bias.add : form.rescale;
  const out = last.output();
  last.setOutput(0, null);
  const attributes = floatOp === 'Conv' ? Object.fromEntries(op.attributes) : {};
  const inputs = bias ? [form.x, weight, biasValue(model, bias)] : [form.x, weight];
  const replacement = new Node({ opType: floatOp, name: model.freshName(op.name.replace(/_quant$/, '') || floatOp), inputs, outputs: [out], attributes });
  last.graph!.insertBefore(last, replacement);
  removeIfDead(last);
  return undefined;
}

interface FoldableBias {
  add: Node;
  /** The per-channel bias: the constant itself, or the constant a Reshape turns into [1, M, 1, …]. */
  source: Value;
  values: Float32Array;
}

/** An Add right after the Conv of a constant shaped [1, M, 1, …] (directly or through Reshape). */
function foldableBias(form: IntegerForm): FoldableBias | undefined {
  const add = soleReader(form.rescale.output());
  if (!add || add.opType !== 'Add' || add.domain !== '') return undefined;
  const other = add.inputs.find((v) => v !== form.rescale.output());
  const channels = form.weight.value.constTensor()!.dims[0]!;
  const rank = form.weight.value.constTensor()!.dims.length;
  if (!other || !isChannelShaped(other, channels, rank)) return undefined;
  const reshape = other.producer();
  const source = reshape?.opType === 'Reshape' && reshape.domain === '' ? reshape.input(0) : other;
  const tensor = source?.constTensor();
  if (!source || !tensor || tensor.dtype !== DataType.FLOAT || tensor.size !== channels) return undefined;
  return { add, source, values: toFloat32(tensor) };
}

/** Whether `v` is typed [1, M, 1, …] at the Conv output's rank. */
function isChannelShaped(v: Value, channels: number, rank: number): boolean {
  if (!isTensorType(v.type) || !v.type.shape || v.type.shape.length !== rank) return false;
  return v.type.shape.every((d, i) => d === (i === 1 ? channels : 1));
}

/** The bias as a 1-D [M] value: the source itself when it already is one. */
function biasValue(model: Model, bias: FoldableBias): Value {
  const tensor = bias.source.constTensor()!;
  if (tensor.dims.length === 1) return bias.source;
  const name = model.freshName(`${bias.source.name}_bias`);
  return bias.add.graph!.addInitializer(name, DenseTensor.fromTyped(DataType.FLOAT, [bias.values.length], Float32Array.from(bias.values)));
}
