import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { isFloatType } from '../../ir/dtype.js';
import type { Value } from '../../ir/value.js';
import { dequantizeTensor, type DequantizeParams } from './dequantize.js';

/** A quantized constant and how to dequantize it: everything about it is constant. */
export interface QuantizedConstant {
  value: Value;
  params: DequantizeParams;
  /** The Values holding the scale and zero point, for caching and naming. */
  scaleValue: Value;
  zeroPointValue: Value | undefined;
}

/** A DequantizeLinear's operands when x, scale and zero point are all constants; else undefined. */
export function constantDequantize(node: Node): QuantizedConstant | undefined {
  const [x, scale, zeroPoint] = [node.input(0), node.input(1), node.input(2)];
  return x?.constTensor() ? constantParams(x, scale, zeroPoint, node.attrInt('axis', 1), node.attrInt('block_size', 0)) : undefined;
}

/** Scale and zero point as a DequantizeParams when both are constants (the zero point may be absent). */
export function constantParams(value: Value, scale: Value | undefined, zeroPoint: Value | undefined, axis: number, blockSize = 0): QuantizedConstant | undefined {
  const scaleTensor = scale?.constTensor();
  const zeroTensor = zeroPoint?.constTensor();
  if (!scale || !scaleTensor || !isFloatType(scaleTensor.dtype) || (zeroPoint && !zeroTensor)) return undefined;
  return { value, params: { scale: scaleTensor, zeroPoint: zeroTensor, axis, blockSize }, scaleValue: scale, zeroPointValue: zeroPoint };
}

/**
 * What the quantizers append to a weight's name: onnxruntime's "_quantized", lowbit int4's "_Q4"
 * (MatMulNBits) and "_int4" (blocked DequantizeLinear), and its Gather tables' "_q4" / "_q8". The
 * float weight takes the name back, so a model quantized again gets the names it first had.
 */
const QUANTIZED_SUFFIX = /_(quantized|Q4|int4|q4|q8)$/;

/**
 * Float32 initializers made from quantized weights, one per weight and quantization: a weight read
 * by several quantized ops is dequantized once. The new initializer lives in the weight's graph and
 * is named after it without the quantizer's suffix.
 */
export class FloatWeights {
  private readonly made = new Map<string, Value>();
  /** How many float32 weights were made. */
  count = 0;

  constructor(private readonly model: Model) {}

  get(q: QuantizedConstant, dims?: readonly number[]): Value {
    const p = q.params;
    const key = [q.value.name, q.scaleValue.name, q.zeroPointValue?.name ?? '', p.axis, p.blockSize ?? 0].join('\u0000');
    const tensor = q.value.constTensor()!;
    return this.cached(key, q.value, dims ?? tensor.dims, () => dequantizeTensor(tensor, p));
  }

  /**
   * The float32 initializer for `key` (which must say everything the values depend on), made by
   * `dequantize` the first time; it lives beside `source` and is named after it.
   */
  cached(key: string, source: Value, dims: readonly number[], dequantize: () => Float32Array): Value {
    let made = this.made.get(key);
    if (!made) {
      const name = this.model.freshName(source.name.replace(QUANTIZED_SUFFIX, '') || 'dequantized');
      made = source.graph!.addInitializer(name, DenseTensor.fromTyped(DataType.FLOAT, [...dims], dequantize()));
      this.made.set(key, made);
      this.count++;
    }
    return made;
  }
}
