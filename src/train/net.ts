import { seededRandom } from '../util/random.js';
import { sharedFloats } from './data.js';
import { BatchNorm2d } from './layers/batchnorm2d.js';
import { Conv2d } from './layers/conv2d.js';
import { FakeQuant } from './layers/fake-quant.js';
import type { Layer } from './layers/layer.js';
import { Linear } from './layers/linear.js';
import { Flatten, MaxPool2d, Relu } from './layers/simple.js';
import { QatWeights } from './layers/weight-quantizer.js';
import { nameLayers, outputShape, size, type LayerSpec, type ModelSpec } from './spec.js';

/** Where one parameter tensor sits in the flat parameter array. */
export interface ParamEntry {
  layer: string;
  name: string;
  dims: number[];
  offset: number;
  length: number;
}

/** Memory a network can be built over: worker threads pass views of shared buffers. */
export interface NetMemory {
  params?: Float32Array;
  state?: Float32Array;
  grads?: Float32Array;
  stats?: Float32Array;
}

/** Layers that move or pick values without computing new ones: a quantized tensor stays on its grid through them. */
const PASSTHROUGH = new Set<LayerSpec['type']>(['maxpool2d', 'flatten']);

/**
 * A sequential network over flat Float32Arrays: all parameters in `params`, their gradients in
 * `grads` (same layout), persistent state (batch-norm statistics, fake-quantization ranges) in
 * `state`, and what one training pass reports in `stats`. Copies of a network that share `params`
 * and `state` but own `grads` and `stats` compute shards of a batch in parallel.
 */
export class Net {
  readonly spec: ModelSpec;
  readonly layers: Layer[];
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly state: Float32Array;
  readonly stats: Float32Array;
  readonly paramEntries: ParamEntry[] = [];
  /** Offsets of each layer's stats in `stats`, for merging shard by shard. */
  private readonly statsRanges: [number, number][] = [];
  private dInput: Float32Array | undefined;

  constructor(spec: ModelSpec, memory: NetMemory = {}) {
    const named = nameLayers(spec);
    this.spec = { input: [...spec.input], layers: named };
    let shape = [...spec.input];
    this.layers = [];
    for (const layerSpec of named) {
      const out = outputShape(layerSpec, shape);
      this.layers.push(createLayer(layerSpec as LayerSpec & { name: string }, shape, out));
      shape = out;
    }
    const paramCount = this.layers.reduce((a, l) => a + l.params.reduce((b, p) => b + size(p.dims), 0), 0);
    const stateCount = this.layers.reduce((a, l) => a + l.stateSize, 0);
    const statsCount = this.layers.reduce((a, l) => a + l.statsSize, 0);
    this.params = checked(memory.params, paramCount, 'params');
    this.grads = checked(memory.grads, paramCount, 'grads');
    this.state = checked(memory.state, stateCount, 'state');
    this.stats = checked(memory.stats, statsCount, 'stats');
    let p = 0;
    let s = 0;
    let t = 0;
    for (const layer of this.layers) {
      const views: Float32Array[] = [];
      const gradViews: Float32Array[] = [];
      for (const info of layer.params) {
        const length = size(info.dims);
        this.paramEntries.push({ layer: layer.name, name: info.name, dims: info.dims, offset: p, length });
        views.push(this.params.subarray(p, p + length));
        gradViews.push(this.grads.subarray(p, p + length));
        p += length;
      }
      this.statsRanges.push([t, t + layer.statsSize]);
      layer.bind(views, gradViews, this.state.subarray(s, s + layer.stateSize), this.stats.subarray(t, t + layer.statsSize));
      s += layer.stateSize;
      t += layer.statsSize;
    }
    this.attachWeightQuantizers();
  }

  get inputSize(): number {
    return size(this.spec.input);
  }

  get outputSize(): number {
    return size(this.layers[this.layers.length - 1]!.outShape);
  }

  /** Random initial parameters and fresh state, the same for the same seed. */
  init(seed: number): this {
    const rand = seededRandom(seed);
    for (const layer of this.layers) layer.init(rand);
    return this;
  }

  /** Forward pass over `n` samples; returns the last layer's output (a view valid until the next pass). */
  forward(x: Float32Array, n: number, training: boolean): Float32Array {
    let h = x;
    for (const layer of this.layers) h = layer.forward(h, n, training);
    return h;
  }

  /** Backward pass from dL/d(output): parameter gradients are added into `grads`; returns dL/d(input) when asked. */
  backward(dOut: Float32Array, n: number, needInputGrad = false): Float32Array | undefined {
    let d: Float32Array | undefined = dOut;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const need = i > 0 || needInputGrad;
      d = this.layers[i]!.backward(d!, n, need);
      if (!need) break;
    }
    if (needInputGrad) this.dInput = d;
    return needInputGrad ? this.dInput : undefined;
  }

  zeroGrads(): void {
    this.grads.fill(0);
  }

  /** Fold the stats that the copies of this network reported for one step into the shared state. */
  mergeStats(shards: readonly Float32Array[]): void {
    this.layers.forEach((layer, i) => {
      if (!layer.mergeStats) return;
      const [a, b] = this.statsRanges[i]!;
      layer.mergeStats(shards.map((s) => s.subarray(a, b)));
    });
  }

  /** The values of one parameter tensor. */
  param(layer: string, name: string): Float32Array {
    const e = this.paramEntries.find((p) => p.layer === layer && p.name === name);
    if (!e) throw new RangeError(`no parameter ${layer}.${name}`);
    return this.params.subarray(e.offset, e.offset + e.length);
  }

  layer<T extends Layer = Layer>(name: string): T {
    const found = this.layers.find((l) => l.name === name);
    if (!found) throw new RangeError(`no layer '${name}'`);
    return found as T;
  }

  fakeQuants(): FakeQuant[] {
    return this.layers.filter((l): l is FakeQuant => l instanceof FakeQuant);
  }

  /** Layers marked `quantize` read the fake quantizer before them for their bias scale. */
  private attachWeightQuantizers(): void {
    let input: FakeQuant | undefined;
    for (const layer of this.layers) {
      if (layer instanceof FakeQuant) {
        input = layer;
        continue;
      }
      if ((layer instanceof Conv2d || layer instanceof Linear) && layer.spec.quantize) {
        if (!input) throw new RangeError(`${layer.name}: a quantized layer needs a fakequant layer on its input`);
        layer.quantizer = new QatWeights(layer.params[0]!.dims, input, layer.spec.quantize.reduceRange ?? false);
      }
      if (!PASSTHROUGH.has(layer.spec.type)) input = undefined;
    }
  }
}

function createLayer(spec: LayerSpec & { name: string }, input: number[], output: number[]): Layer {
  switch (spec.type) {
    case 'conv2d':
      return new Conv2d(spec, input, output);
    case 'linear':
      return new Linear(spec, input, output);
    case 'maxpool2d':
      return new MaxPool2d(spec, input, output);
    case 'relu':
      return new Relu(spec, input);
    case 'flatten':
      return new Flatten(spec, input);
    case 'batchnorm2d':
      return new BatchNorm2d(spec, input);
    case 'fakequant':
      return new FakeQuant(spec, input);
  }
}

/** Parameters and state live in shared memory (where there is any) so that worker threads can train on them. */
function checked(given: Float32Array | undefined, length: number, what: string): Float32Array {
  if (!given) return what === 'params' || what === 'state' ? sharedFloats(length) : new Float32Array(length);
  if (given.length !== length) throw new RangeError(`${what}: the network needs ${length} floats, the memory given holds ${given.length}`);
  return given;
}
