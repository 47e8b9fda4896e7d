import { quantizeWeight } from '../../quant/weights.js';
import { ROUNDER } from '../../quant/rounding.js';
import type { FakeQuant } from './fake-quant.js';

/** What Conv2d and Linear ask of QAT: the weights and bias to compute with this step. */
export interface WeightQuantizer {
  active(): boolean;
  apply(weight: Float32Array, bias: Float32Array): { weight: Float32Array; bias: Float32Array };
}

const INT32_MAX = 2147483647;

/**
 * Fake quantization of a layer's weight and bias into exactly what static int8 writes for it:
 * the weight int8 per output channel, symmetric ([−127, 127], or [−64, 64] with reduceRange), by the quantizer's own
 * `quantizeWeight` (round half to even); the bias int32 with scale s_x · s_w[c], s_x being the
 * scale of the layer's quantized input (the fake quantizer before it). Both dequantized in float32
 * as DequantizeLinear does. The straight-through estimator makes the gradient with respect to the
 * fake-quantized values the gradient of the float ones (the layers apply it that way).
 */
export class QatWeights implements WeightQuantizer {
  private weight: Float32Array | undefined;
  private bias: Float32Array | undefined;

  constructor(
    private readonly dims: readonly number[],
    /** The fake quantizer whose output this layer reads (through max-pooling or flattening). */
    private readonly input: FakeQuant,
    /** 7-bit weights ([−64, 64]), as `quantize --reduce-range` writes them. */
    private readonly reduceRange = false,
  ) {}

  active(): boolean {
    return this.input.enabled;
  }

  apply(weight: Float32Array, bias: Float32Array): { weight: Float32Array; bias: Float32Array } {
    const q = quantizeWeight(weight, this.dims, { axis: 0, reduceRange: this.reduceRange });
    const channels = this.dims[0]!;
    const per = weight.length / channels;
    const w = (this.weight ??= new Float32Array(weight.length));
    const b = (this.bias ??= new Float32Array(bias.length));
    for (let c = 0; c < channels; c++) {
      const s = q.scales[c]!;
      for (let i = c * per; i < (c + 1) * per; i++) w[i] = q.values[i]! * s;
    }
    const inputScale = this.input.quantParams().scale;
    for (let c = 0; c < channels; c++) {
      let s = Math.fround(inputScale * q.scales[c]!);
      if (!(s > 0)) s = 1;
      const v = bias[c]! / s;
      const r = Math.abs(v) < 2 ** 51 ? v + ROUNDER - ROUNDER : v;
      b[c] = Math.max(-INT32_MAX, Math.min(INT32_MAX, r)) * s;
    }
    return { weight: w, bias: b };
  }
}
