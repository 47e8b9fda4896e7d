import type { LayerSpec } from '../spec.js';
import { axpy, ensure, heUniform, type Layer, type ParamInfo } from './layer.js';
import { gemmNT } from './gemm.js';
import type { WeightQuantizer } from './weight-quantizer.js';

type LinearSpec = Extract<LayerSpec, { type: 'linear' }> & { name: string };

/** Fully connected: y = x·Wᵀ + b with W [out, in] (PyTorch's layout; exported as Gemm transB=1). */
export class Linear implements Layer {
  readonly name: string;
  readonly outShape: number[];
  readonly params: ParamInfo[];
  readonly stateSize = 0;
  readonly statsSize = 0;
  private readonly inSize: number;
  private readonly outSize: number;
  private weight!: Float32Array;
  private bias!: Float32Array;
  private dWeight!: Float32Array;
  private dBias!: Float32Array;
  private x: Float32Array | undefined;
  private out: Float32Array | undefined;
  private dx: Float32Array | undefined;
  private usedWeight!: Float32Array;
  quantizer: WeightQuantizer | undefined;

  constructor(
    readonly spec: LinearSpec,
    readonly inShape: readonly number[],
    outShape: number[],
  ) {
    this.name = spec.name;
    this.inSize = inShape[0]!;
    this.outSize = spec.out;
    this.outShape = outShape;
    this.params = [
      { name: 'weight', dims: [this.outSize, this.inSize] },
      { name: 'bias', dims: [this.outSize] },
    ];
  }

  bind(params: Float32Array[], grads: Float32Array[]): void {
    [this.weight, this.bias] = params as [Float32Array, Float32Array];
    [this.dWeight, this.dBias] = grads as [Float32Array, Float32Array];
  }

  init(rand: () => number): void {
    heUniform(this.weight, this.inSize, rand);
    this.bias.fill(0);
  }

  forward(x: Float32Array, n: number): Float32Array {
    const I = this.inSize;
    const O = this.outSize;
    const out = (this.out = ensure(this.out, n * O));
    const q = this.quantizer?.active() ? this.quantizer.apply(this.weight, this.bias) : undefined;
    const weight = q ? q.weight : this.weight;
    const bias = q ? q.bias : this.bias;
    this.usedWeight = weight;
    this.x = x;
    gemmNT(weight, x, bias, O, n, I, out, 0, 1, O);
    return out;
  }

  backward(dy: Float32Array, n: number, needInputGrad: boolean): Float32Array | undefined {
    const I = this.inSize;
    const O = this.outSize;
    const x = this.x!;
    const weight = this.usedWeight;
    const dx = needInputGrad ? (this.dx = ensure(this.dx, n * I)) : undefined;
    if (dx) dx.fill(0, 0, n * I);
    for (let i = 0; i < n; i++) {
      for (let o = 0; o < O; o++) {
        const g = dy[i * O + o]!;
        if (g === 0) continue;
        this.dBias[o] += g;
        axpy(g, x, i * I, this.dWeight, o * I, I);
        if (dx) axpy(g, weight, o * I, dx, i * I, I);
      }
    }
    return dx;
  }
}
