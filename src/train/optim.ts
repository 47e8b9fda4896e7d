/** How parameters are updated from their gradients. */
export type OptimizerSpec =
  | { type: 'sgd'; lr: number; momentum?: number; weightDecay?: number; nesterov?: boolean }
  | { type: 'adam'; lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number };

export interface Optimizer {
  /** One update of `params` in place from `grads`, at learning rate `lr`. */
  step(params: Float32Array, grads: Float32Array, lr: number): void;
}

export function createOptimizer(spec: OptimizerSpec, size: number): Optimizer {
  return spec.type === 'sgd' ? new Sgd(spec, size) : new Adam(spec, size);
}

/** SGD with (optionally Nesterov) momentum and L2 weight decay, as torch.optim.SGD. */
class Sgd implements Optimizer {
  private readonly velocity: Float32Array;
  private readonly momentum: number;
  private readonly decay: number;
  private readonly nesterov: boolean;

  constructor(spec: Extract<OptimizerSpec, { type: 'sgd' }>, size: number) {
    this.velocity = new Float32Array(size);
    this.momentum = spec.momentum ?? 0.9;
    this.decay = spec.weightDecay ?? 0;
    this.nesterov = spec.nesterov ?? false;
  }

  step(params: Float32Array, grads: Float32Array, lr: number): void {
    const v = this.velocity;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i]! + this.decay * params[i]!;
      const vi = (v[i] = this.momentum * v[i]! + g);
      params[i] -= lr * (this.nesterov ? g + this.momentum * vi : vi);
    }
  }
}

/** Adam with bias correction and L2 weight decay added to the gradient, as torch.optim.Adam. */
class Adam implements Optimizer {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly decay: number;
  private t = 0;

  constructor(spec: Extract<OptimizerSpec, { type: 'adam' }>, size: number) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
    this.beta1 = spec.beta1 ?? 0.9;
    this.beta2 = spec.beta2 ?? 0.999;
    this.eps = spec.eps ?? 1e-8;
    this.decay = spec.weightDecay ?? 0;
  }

  step(params: Float32Array, grads: Float32Array, lr: number): void {
    this.t++;
    const { m, v, beta1, beta2, eps } = this;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    const stepSize = lr / c1;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i]! + this.decay * params[i]!;
      const mi = (m[i] = beta1 * m[i]! + (1 - beta1) * g);
      const vi = (v[i] = beta2 * v[i]! + (1 - beta2) * g * g);
      params[i] -= (stepSize * mi) / (Math.sqrt(vi / c2) + eps);
    }
  }
}

/** Learning rate at step `t` of `total`: constant, or cosine decay from `lr` to 0 after a linear warm-up. */
export function scheduledRate(lr: number, t: number, total: number, schedule: 'constant' | 'cosine', warmup = 0): number {
  if (warmup > 0 && t < warmup) return (lr * (t + 1)) / warmup;
  if (schedule === 'constant') return lr;
  const progress = total > warmup ? (t - warmup) / (total - warmup) : 1;
  return lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}
