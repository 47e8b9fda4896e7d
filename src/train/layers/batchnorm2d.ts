import type { LayerSpec } from '../spec.js';
import { ensure, type Layer, type ParamInfo } from './layer.js';

type BatchNormSpec = Extract<LayerSpec, { type: 'batchnorm2d' }> & { name: string };

/**
 * Batch normalization over N·H·W per channel. Training normalizes with the statistics of the batch
 * this copy of the network sees (a shard, under data parallelism) and reports them; after the step
 * they are pooled over the shards and folded into the running mean and variance, which inference
 * and the exported BatchNormalization node use.
 * State: running mean [C], running variance [C]. Stats: count, mean [C], biased variance [C].
 */
export class BatchNorm2d implements Layer {
  readonly name: string;
  readonly outShape: number[];
  readonly params: ParamInfo[];
  readonly stateSize: number;
  readonly statsSize: number;
  readonly eps: number;
  readonly momentum: number;
  private readonly channels: number;
  private readonly plane: number;
  private gamma!: Float32Array;
  private beta!: Float32Array;
  private dGamma!: Float32Array;
  private dBeta!: Float32Array;
  private state!: Float32Array;
  private stats!: Float32Array;
  private xhat: Float32Array | undefined;
  private out: Float32Array | undefined;
  private dx: Float32Array | undefined;
  private invStd: Float64Array;

  constructor(
    readonly spec: BatchNormSpec,
    readonly inShape: readonly number[],
  ) {
    this.name = spec.name;
    this.outShape = [...inShape];
    this.channels = inShape[0]!;
    this.plane = inShape[1]! * inShape[2]!;
    this.eps = spec.eps ?? 1e-5;
    this.momentum = spec.momentum ?? 0.1;
    this.params = [
      { name: 'scale', dims: [this.channels] },
      { name: 'bias', dims: [this.channels] },
    ];
    this.stateSize = 2 * this.channels;
    this.statsSize = 1 + 2 * this.channels;
    this.invStd = new Float64Array(this.channels);
  }

  bind(params: Float32Array[], grads: Float32Array[], state: Float32Array, stats: Float32Array): void {
    [this.gamma, this.beta] = params as [Float32Array, Float32Array];
    [this.dGamma, this.dBeta] = grads as [Float32Array, Float32Array];
    this.state = state;
    this.stats = stats;
  }

  init(): void {
    this.gamma.fill(1);
    this.beta.fill(0);
    this.state.fill(0, 0, this.channels);
    this.state.fill(1, this.channels);
  }

  /** Running mean and variance (views of the state). */
  get runningMean(): Float32Array {
    return this.state.subarray(0, this.channels);
  }

  get runningVar(): Float32Array {
    return this.state.subarray(this.channels);
  }

  forward(x: Float32Array, n: number, training: boolean): Float32Array {
    const C = this.channels;
    const HW = this.plane;
    const len = n * C * HW;
    const out = (this.out = ensure(this.out, len));
    const xhat = (this.xhat = ensure(this.xhat, len));
    for (let c = 0; c < C; c++) {
      let mean: number;
      let variance: number;
      if (training) {
        let sum = 0;
        for (let i = 0; i < n; i++) for (let j = (i * C + c) * HW, e = j + HW; j < e; j++) sum += x[j]!;
        mean = sum / (n * HW);
        let sq = 0;
        for (let i = 0; i < n; i++) {
          for (let j = (i * C + c) * HW, e = j + HW; j < e; j++) {
            const d = x[j]! - mean;
            sq += d * d;
          }
        }
        variance = sq / (n * HW);
        this.stats[0] = n * HW;
        this.stats[1 + c] = mean;
        this.stats[1 + C + c] = variance;
      } else {
        mean = this.state[c]!;
        variance = this.state[C + c]!;
      }
      const inv = 1 / Math.sqrt(variance + this.eps);
      this.invStd[c] = inv;
      const g = this.gamma[c]!;
      const b = this.beta[c]!;
      for (let i = 0; i < n; i++) {
        for (let j = (i * C + c) * HW, e = j + HW; j < e; j++) {
          const h = (x[j]! - mean) * inv;
          xhat[j] = h;
          out[j] = g * h + b;
        }
      }
    }
    return out;
  }

  /** Training-mode gradient: dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)). */
  backward(dy: Float32Array, n: number, needInputGrad: boolean): Float32Array | undefined {
    const C = this.channels;
    const HW = this.plane;
    const m = n * HW;
    const xhat = this.xhat!;
    const dx = needInputGrad ? (this.dx = ensure(this.dx, n * C * HW)) : undefined;
    for (let c = 0; c < C; c++) {
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let i = 0; i < n; i++) {
        for (let j = (i * C + c) * HW, e = j + HW; j < e; j++) {
          sumDy += dy[j]!;
          sumDyXhat += dy[j]! * xhat[j]!;
        }
      }
      this.dGamma[c] += sumDyXhat;
      this.dBeta[c] += sumDy;
      if (!dx) continue;
      const k = this.gamma[c]! * this.invStd[c]!;
      const meanDy = sumDy / m;
      const meanDyXhat = sumDyXhat / m;
      for (let i = 0; i < n; i++) {
        for (let j = (i * C + c) * HW, e = j + HW; j < e; j++) dx[j] = k * (dy[j]! - meanDy - xhat[j]! * meanDyXhat);
      }
    }
    return dx;
  }

  /** Pool the shards' batch statistics (exactly, as one batch) and update the running estimates. */
  mergeStats(shards: readonly Float32Array[]): void {
    const C = this.channels;
    let count = 0;
    for (const s of shards) count += s[0]!;
    if (count === 0) return;
    for (let c = 0; c < C; c++) {
      let mean = 0;
      for (const s of shards) mean += (s[0]! / count) * s[1 + c]!;
      let variance = 0;
      for (const s of shards) {
        const d = s[1 + c]! - mean;
        variance += (s[0]! / count) * (s[1 + C + c]! + d * d);
      }
      // The running variance is the unbiased estimate, as PyTorch keeps it.
      const unbiased = count > 1 ? (variance * count) / (count - 1) : variance;
      this.state[c] = (1 - this.momentum) * this.state[c]! + this.momentum * mean;
      this.state[C + c] = (1 - this.momentum) * this.state[C + c]! + this.momentum * unbiased;
    }
  }
}
