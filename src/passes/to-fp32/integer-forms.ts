import { DataType } from '../../ir/dtype.js';
import type { Node } from '../../ir/node.js';
import type { Value } from '../../ir/value.js';
import type { SkipReason } from '../../rules/rule.js';
import { soleReader } from './dead-code.js';
import { constantParams, type QuantizedConstant } from './float-weights.js';

/**
 * The chain onnxruntime's dynamic quantizer writes for a MatMul or Conv with a constant weight:
 *
 *   (x_q, x_scale, x_zp) = DynamicQuantizeLinear(x)
 *   y = Mul(Cast<float>(MatMulInteger|ConvInteger(x_q, W_q, x_zp, W_zp)), Mul(x_scale, W_scale))
 *
 * which is MatMul|Conv(x, (W_q - W_zp) · W_scale) up to the rounding of x.
 */
export interface IntegerForm {
  integerOp: Node;
  quantize: Node;
  /** The float input that DynamicQuantizeLinear rounds. */
  x: Value;
  weight: QuantizedConstant;
  /** The final Mul, whose output the float op will produce. */
  rescale: Node;
}

const FLOAT_OP: Record<string, string> = { MatMulInteger: 'MatMul', ConvInteger: 'Conv' };

export function floatOpFor(integerOp: Node): string | undefined {
  return integerOp.domain === '' ? FLOAT_OP[integerOp.opType] : undefined;
}

/** Match the chain around an integer op, or say why it is not the dynamic-quantizer form. */
export function matchIntegerForm(op: Node): IntegerForm | SkipReason {
  const [xq, wq, xZero, wZero] = [op.input(0), op.input(1), op.input(2), op.input(3)];
  const quantize = xq?.producer();
  if (!xq || !quantize || quantize.opType !== 'DynamicQuantizeLinear' || quantize.domain !== '' || xq !== quantize.outputs[0]) {
    return { code: 'fp32-not-dynamic', reason: `${op.opType}'s input is not made by DynamicQuantizeLinear` };
  }
  if (xZero !== (quantize.outputs[2] ?? undefined)) return { code: 'fp32-not-dynamic', reason: "the input zero point is not DynamicQuantizeLinear's" };
  const cast = soleReader(op.output());
  if (!cast || cast.opType !== 'Cast' || cast.attrInt('to') !== DataType.FLOAT) return { code: 'fp32-no-cast', reason: `${op.opType}'s result is not cast to float by a single Cast` };
  const rescale = soleReader(cast.output());
  if (!rescale || rescale.opType !== 'Mul') return { code: 'fp32-no-rescale', reason: 'the float result is not multiplied by a scale product' };
  const product = rescale.inputs.find((v) => v !== cast.output());
  const wScale = product && weightScale(product, quantize.outputs[1] ?? undefined);
  if (!wScale) return { code: 'fp32-no-rescale', reason: "the scale is not Mul(input scale, constant weight scale)" };
  const isConv = op.opType === 'ConvInteger';
  const tensor = wq?.constTensor();
  if (!wq || !tensor) return { code: 'fp32-weight-not-constant', reason: `${op.opType}'s weight is not a constant` };
  if (!isConv && tensor.dims.length !== 2) return { code: 'fp32-weight-not-2d', reason: `MatMulInteger weight is ${tensor.dims.length}-D; only [K, N] weights are undone` };
  const channels = tensor.dims[isConv ? 0 : 1]!;
  const weight = constantParams(wq, wScale, wZero, isConv ? 0 : 1);
  if (!weight || !perTensorOrChannel(weight, channels, isConv)) {
    return { code: 'fp32-weight-scale', reason: 'the weight scale or zero point is neither per tensor nor per output channel' };
  }
  return { integerOp: op, quantize, x: quantize.input(0)!, weight, rescale };
}

/** The constant weight scale in `product` = Mul(xScale, W_scale), either way round. */
function weightScale(product: Value, xScale: Value | undefined): Value | undefined {
  const mul = product.producer();
  if (!mul || mul.opType !== 'Mul' || !xScale || !mul.inputs.includes(xScale)) return undefined;
  const other = mul.inputs.find((v) => v !== xScale);
  return other?.constTensor() ? other : undefined;
}

/**
 * MatMul: scale and zero point per tensor or per column ([N], which the final Mul broadcasts along
 * the last axis). Conv: the zero point may be per output channel (ConvInteger applies it), but a
 * [M] scale product would not broadcast over NCHW, so the scale must be per tensor.
 */
function perTensorOrChannel(q: QuantizedConstant, channels: number, isConv: boolean): boolean {
  const scale = q.params.scale;
  const zeroSize = q.params.zeroPoint?.size ?? 1;
  const scaleOk = scale.size === 1 || (!isConv && scale.size === channels && scale.dims.length === 1);
  return scaleOk && (zeroSize === 1 || zeroSize === channels);
}
