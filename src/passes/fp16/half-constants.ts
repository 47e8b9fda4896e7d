import type { Diagnostic } from '../../diagnostics.js';
import { attr } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { Node } from '../../ir/node.js';
import { isTensorType } from '../../ir/types.js';
import { Value } from '../../ir/value.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import { constantValue } from '../constants-to-initializers.js';
import { toHalfTensor } from './half-tensor.js';
import { withElemType } from './values.js';

/** A float32 constant: an initializer (not overridable as an input) or a Constant node's output. */
export function float32Constant(v: Value): Tensor | undefined {
  const producer = v.producer();
  const tensor = producer?.opType === 'Constant' && producer.domain === '' ? constantValue(producer) : v.constTensor();
  return tensor && tensor.kind !== 'string' && tensor.dtype === DataType.FLOAT ? tensor : undefined;
}

/**
 * Turns float32 constants into float16 for the readers that compute in float16. A constant read
 * only by such readers is converted in place; one also read in float32 (or that is a graph output)
 * keeps its float32 form and gets a float16 twin. Clamping and underflow are recorded as warnings.
 */
export class HalfConstants {
  readonly warnings: Diagnostic[] = [];
  private flushed = 0;
  private flushedTensors = 0;

  constructor(private readonly model: Model) {}

  /** Give the readers listed in `halfUses` a float16 form of the constant `v`. */
  convert(v: Value, tensor: Tensor, halfUses: readonly { node: Node; index: number }[]): void {
    if (halfUses.length === 0) return;
    const half = this.toHalf(tensor, v.name);
    const sharedWithFloat = v.isGraphOutput() || v.uses().length > halfUses.length;
    if (!sharedWithFloat) {
      this.replacePayload(v, half);
      return;
    }
    const twin = this.twin(v, half);
    for (const use of halfUses) use.node.replaceInput(use.index, twin);
  }

  /** A float32 tensor as float16, with its clamping reported under `name`. */
  toHalf(tensor: Tensor, name: string): Tensor {
    const result = toHalfTensor(tensor);
    if (result.clamped > 0) {
      this.warnings.push({
        code: 'fp16-clamped',
        severity: 'warning',
        value: name,
        reason: `${result.clamped} value(s) of '${name}' lie outside float16's range and were clamped to ±65504 (largest magnitude ${result.largest.toPrecision(4)})`,
      });
    }
    if (result.flushed > 0) {
      this.flushed += result.flushed;
      this.flushedTensors++;
    }
    return result.tensor;
  }

  /** The one warning about tiny values that became zero, if any did. */
  underflowWarning(): Diagnostic | undefined {
    if (this.flushed === 0) return undefined;
    return {
      code: 'fp16-underflow',
      severity: 'warning',
      reason: `${this.flushed} non-zero value(s) in ${this.flushedTensors} tensor(s) are smaller than float16's smallest subnormal (2^-24) and became zero`,
    };
  }

  private replacePayload(v: Value, half: Tensor): void {
    const producer = v.producer();
    if (producer) {
      for (const name of ['value_float', 'value_floats']) producer.removeAttr(name);
      producer.setAttr('value', attr.tensor(half));
    } else {
      v.initializer = half;
    }
    v.type = isTensorType(v.type) ? withElemType(v.type, DataType.FLOAT16) : { kind: 'tensor', elemType: DataType.FLOAT16, shape: [...half.dims] };
  }

  private twin(v: Value, half: Tensor): Value {
    const name = this.model.freshName(`${v.name}_fp16`);
    const producer = v.producer();
    if (!producer) return v.graph!.addInitializer(name, half);
    const node = new Node({ opType: 'Constant', name: this.model.freshName(`${name}_const`), outputs: [name], attributes: { value: attr.tensor(half) } });
    producer.graph!.insertAfter(producer, node);
    node.output().type = { kind: 'tensor', elemType: DataType.FLOAT16, shape: [...half.dims] };
    return node.output();
  }
}
