import { DataType } from '../../ir/dtype.js';
import { quantRange } from '../../quant/qtypes.js';
import { ROUNDER } from '../../quant/rounding.js';
import { computeScaleZeroPoint, type ScaleZeroPoint } from '../../quant/scale-zero-point.js';
import type { LayerSpec } from '../spec.js';
import { ensure, type Layer } from './layer.js';

type FakeQuantSpec = Extract<LayerSpec, { type: 'fakequant' }> & { name: string };

const UINT8 = quantRange(DataType.UINT8);
/** Default constant of the moving average of ranges (PyTorch's MovingAverageMinMaxObserver uses 0.01). */
export const DEFAULT_EMA = 0.01;

/** Layout of a fake-quantizer's state. */
const LO = 0;
const HI = 1;
const SEEN = 2;
const ENABLED = 3;

/**
 * Fake quantization of an activation to uint8, exactly as the exported QuantizeLinear →
 * DequantizeLinear pair computes it: q = saturate(round_half_even(float32(x / s)) + z), x̂ = (q − z)·s,
 * with s and z from the tracked range by the quantizer's own computeScaleZeroPoint (range widened
 * to contain 0, as static int8 does). Backward is the straight-through estimator: the gradient
 * passes unchanged where x falls inside the representable range and is zero where q saturated.
 *
 * Ranges are tracked, not learned: each training step reports the shard's min and max; after the
 * step they are pooled over shards and folded into an exponential moving average (constant `ema`).
 * While disabled (calibration) the layer passes values through and the range is the plain min/max
 * of everything seen. A step quantizes with the range as it stood when the step began, so every
 * shard of a step uses the same scale whatever the number of threads.
 * State: lo, hi, seen (0/1), enabled (0/1). Stats: shard min, shard max.
 */
export class FakeQuant implements Layer {
  readonly name: string;
  readonly outShape: number[];
  readonly params = [];
  readonly stateSize = 4;
  readonly statsSize = 2;
  readonly ema: number;
  private state!: Float32Array;
  private stats!: Float32Array;
  private out: Float32Array | undefined;
  private pass: Uint8Array | undefined;
  private dx: Float32Array | undefined;
  private quantizedLast = false;

  constructor(
    readonly spec: FakeQuantSpec,
    readonly inShape: readonly number[],
  ) {
    this.name = spec.name;
    this.outShape = [...inShape];
    this.ema = spec.ema ?? DEFAULT_EMA;
  }

  bind(_params: Float32Array[], _grads: Float32Array[], state: Float32Array, stats: Float32Array): void {
    this.state = state;
    this.stats = stats;
  }

  init(): void {
    this.state.fill(0);
  }

  /** The exported tensor this quantizer stands for. */
  get tensor(): string {
    return this.spec.tensor;
  }

  get enabled(): boolean {
    return this.state[ENABLED] === 1 && this.state[SEEN] === 1;
  }

  setEnabled(on: boolean): void {
    this.state[ENABLED] = on ? 1 : 0;
  }

  /** The tracked range, or undefined before any data was seen. */
  range(): { min: number; max: number } | undefined {
    return this.state[SEEN] === 1 ? { min: this.state[LO]!, max: this.state[HI]! } : undefined;
  }

  /** Scale and zero point of the current range (what the exported Q/DQ pair will hold). */
  quantParams(): ScaleZeroPoint {
    return computeScaleZeroPoint(this.state[LO]!, this.state[HI]!, UINT8);
  }

  forward(x: Float32Array, n: number, training: boolean): Float32Array {
    const len = n * this.outShape.reduce((a, b) => a * b, 1);
    if (training) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < len; i++) {
        const v = x[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      this.stats[0] = lo;
      this.stats[1] = hi;
    }
    this.quantizedLast = this.enabled;
    if (!this.quantizedLast) return x;
    const { scale, zeroPoint } = this.quantParams();
    const out = (this.out = ensure(this.out, len));
    if (!this.pass || this.pass.length < len) this.pass = new Uint8Array(len);
    const pass = this.pass;
    const { qmin, qmax } = UINT8;
    for (let i = 0; i < len; i++) {
      let q = Math.fround(x[i]! / scale) + ROUNDER - ROUNDER + zeroPoint;
      if (q < qmin) {
        q = qmin;
        pass[i] = 0;
      } else if (q > qmax) {
        q = qmax;
        pass[i] = 0;
      } else pass[i] = 1;
      out[i] = (q - zeroPoint) * scale;
    }
    return out;
  }

  backward(dy: Float32Array, n: number): Float32Array {
    if (!this.quantizedLast) return dy;
    const len = n * this.outShape.reduce((a, b) => a * b, 1);
    const dx = (this.dx = ensure(this.dx, len));
    const pass = this.pass!;
    for (let i = 0; i < len; i++) dx[i] = pass[i] ? dy[i]! : 0;
    return dx;
  }

  mergeStats(shards: readonly Float32Array[]): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of shards) {
      lo = Math.min(lo, s[0]!);
      hi = Math.max(hi, s[1]!);
    }
    if (!(lo <= hi)) return;
    const st = this.state;
    if (st[SEEN] !== 1) {
      st[LO] = lo;
      st[HI] = hi;
      st[SEEN] = 1;
    } else if (st[ENABLED] !== 1) {
      st[LO] = Math.min(st[LO]!, lo);
      st[HI] = Math.max(st[HI]!, hi);
    } else {
      st[LO] = st[LO]! + this.ema * (lo - st[LO]!);
      st[HI] = st[HI]! + this.ema * (hi - st[HI]!);
    }
  }
}
