import type { LayerSpec } from '../spec.js';
import { ensure, type Layer } from './layer.js';

type Named<T extends LayerSpec['type']> = Extract<LayerSpec, { type: T }> & { name: string };

/** Layers without parameters share these empty parts. */
abstract class Stateless {
  readonly params = [];
  readonly stateSize = 0;
  readonly statsSize = 0;
  bind(): void {}
  init(): void {}
}

/** max(0, x); the gradient passes where the input was positive. */
export class Relu extends Stateless implements Layer {
  readonly name: string;
  readonly outShape: number[];
  private out: Float32Array | undefined;
  private dx: Float32Array | undefined;

  constructor(
    readonly spec: Named<'relu'>,
    readonly inShape: readonly number[],
  ) {
    super();
    this.name = spec.name;
    this.outShape = [...inShape];
  }

  forward(x: Float32Array, n: number): Float32Array {
    const len = n * this.outShape.reduce((a, b) => a * b, 1);
    const out = (this.out = ensure(this.out, len));
    for (let i = 0; i < len; i++) {
      const v = x[i]!;
      out[i] = v > 0 ? v : 0;
    }
    return out;
  }

  backward(dy: Float32Array, n: number): Float32Array {
    const len = n * this.outShape.reduce((a, b) => a * b, 1);
    const out = this.out!;
    const dx = (this.dx = ensure(this.dx, len));
    for (let i = 0; i < len; i++) dx[i] = out[i]! > 0 ? dy[i]! : 0;
    return dx;
  }
}

/** Reshape [C, H, W] → [C·H·W]: the data does not move. */
export class Flatten extends Stateless implements Layer {
  readonly name: string;
  readonly outShape: number[];

  constructor(
    readonly spec: Named<'flatten'>,
    readonly inShape: readonly number[],
  ) {
    super();
    this.name = spec.name;
    this.outShape = [inShape.reduce((a, b) => a * b, 1)];
  }

  forward(x: Float32Array): Float32Array {
    return x;
  }

  backward(dy: Float32Array): Float32Array {
    return dy;
  }
}

/** Max pooling without padding; remembers which input won each window for the backward pass. */
export class MaxPool2d extends Stateless implements Layer {
  readonly name: string;
  private out: Float32Array | undefined;
  private argmax: Int32Array | undefined;
  private dx: Float32Array | undefined;

  constructor(
    readonly spec: Named<'maxpool2d'>,
    readonly inShape: readonly number[],
    readonly outShape: number[],
  ) {
    super();
    this.name = spec.name;
  }

  forward(x: Float32Array, n: number): Float32Array {
    const [C, H, W] = this.inShape as [number, number, number];
    const [, OH, OW] = this.outShape as [number, number, number];
    const K = this.spec.kernel;
    const S = this.spec.stride ?? K;
    const len = n * C * OH * OW;
    const out = (this.out = ensure(this.out, len));
    if (!this.argmax || this.argmax.length < len) this.argmax = new Int32Array(len);
    const argmax = this.argmax;
    let o = 0;
    for (let plane = 0; plane < n * C; plane++) {
      const base = plane * H * W;
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++, o++) {
          let best = -Infinity;
          let at = base + oy * S * W + ox * S;
          for (let ky = 0; ky < K; ky++) {
            const row = base + (oy * S + ky) * W + ox * S;
            for (let kx = 0; kx < K; kx++) {
              const v = x[row + kx]!;
              // Strictly greater: ties go to the first element in scan order, as onnxruntime's MaxPool picks.
              if (v > best) {
                best = v;
                at = row + kx;
              }
            }
          }
          out[o] = best;
          argmax[o] = at;
        }
      }
    }
    return out;
  }

  backward(dy: Float32Array, n: number): Float32Array {
    const inLen = n * this.inShape.reduce((a, b) => a * b, 1);
    const outLen = n * this.outShape.reduce((a, b) => a * b, 1);
    const dx = (this.dx = ensure(this.dx, inLen));
    dx.fill(0, 0, inLen);
    const argmax = this.argmax!;
    for (let o = 0; o < outLen; o++) dx[argmax[o]!] += dy[o]!;
    return dx;
  }
}
