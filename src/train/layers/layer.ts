import type { LayerSpec } from '../spec.js';

/** A parameter tensor of a layer ("weight" [out, in, k, k], "bias" [out]). */
export interface ParamInfo {
  name: string;
  dims: number[];
}

/**
 * One layer of a network, forward and reverse mode, on a batch of `n` samples laid out NCHW in a
 * Float32Array. The network owns one flat array of parameters, one of gradients, one of
 * persistent state (batch-norm running statistics, fake-quantization ranges) and one of per-step
 * statistics, and binds each layer to its views of them; layers own their activation buffers.
 */
export interface Layer {
  readonly spec: LayerSpec & { name: string };
  readonly name: string;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly params: readonly ParamInfo[];
  /** Floats of persistent state (saved with the weights, shared by every copy of the network). */
  readonly stateSize: number;
  /** Floats of statistics one training forward pass reports (merged across shards after a step). */
  readonly statsSize: number;
  bind(params: Float32Array[], grads: Float32Array[], state: Float32Array, stats: Float32Array): void;
  /** Initial parameter values (He-uniform weights, zero biases for the weighted layers). */
  init(rand: () => number): void;
  forward(x: Float32Array, n: number, training: boolean): Float32Array;
  /** Adds parameter gradients into the bound gradient views; returns dL/dx when asked. */
  backward(dy: Float32Array, n: number, needInputGrad: boolean): Float32Array | undefined;
  /** Fold the statistics of every shard of a step into the state (same order everywhere: deterministic). */
  mergeStats?(shards: readonly Float32Array[]): void;
}

/** A buffer of at least `length` floats, reusing `buf` when it is big enough (no allocation per step). */
export function ensure(buf: Float32Array | undefined, length: number): Float32Array {
  return buf && buf.length >= length ? buf : new Float32Array(length);
}

/** He-uniform: U(−√(6/fan_in), √(6/fan_in)), the scale that keeps ReLU activations from shrinking. */
export function heUniform(values: Float32Array, fanIn: number, rand: () => number): void {
  const bound = Math.sqrt(6 / fanIn);
  for (let i = 0; i < values.length; i++) values[i] = (rand() * 2 - 1) * bound;
}

/**
 * Σ a[ia + k] · b[ib + k] for k < len, with four running sums: JavaScript engines do not reorder
 * floating-point adds, so independent sums are what lets the CPU overlap them.
 */
export function dot(a: Float32Array, ia: number, b: Float32Array, ib: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += a[ia + k]! * b[ib + k]!;
    s1 += a[ia + k + 1]! * b[ib + k + 1]!;
    s2 += a[ia + k + 2]! * b[ib + k + 2]!;
    s3 += a[ia + k + 3]! * b[ib + k + 3]!;
  }
  for (; k < len; k++) s0 += a[ia + k]! * b[ib + k]!;
  return s0 + s1 + (s2 + s3);
}

/** y[iy + k] += g · x[ix + k] for k < len. */
export function axpy(g: number, x: Float32Array, ix: number, y: Float32Array, iy: number, len: number): void {
  let k = 0;
  for (; k + 3 < len; k += 4) {
    y[iy + k] += g * x[ix + k]!;
    y[iy + k + 1] += g * x[ix + k + 1]!;
    y[iy + k + 2] += g * x[ix + k + 2]!;
    y[iy + k + 3] += g * x[ix + k + 3]!;
  }
  for (; k < len; k++) y[iy + k] += g * x[ix + k]!;
}
