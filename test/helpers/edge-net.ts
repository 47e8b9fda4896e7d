// A small CNN whose depthwise layer holds large taps that nearly cancel (batch norm folded into an
// edge filter, as in mlsd): round-to-nearest int8 weights cost it much, so weight-rounding methods
// (GPTQ, bias correction) show their effect. Shared by their tests.
import { attr } from '../../src/ir/attribute.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { DataType } from '../../src/ir/dtype.js';
import type { Model } from '../../src/ir/model.js';
import { float32Tensor, toFloat32 } from '../../src/ir/tensor/values.js';
import type { SampleSource } from '../../src/data/samples.js';
import type { Feeds } from '../../src/runner/runner.js';
import { createNodeRunner } from '../../src/runner/ort-node.js';
import { randomFloats } from './ort.js';

export const sourceOf = (feeds: Feeds[]): SampleSource => ({
  label: 'test samples',
  size: feeds.length,
  async *samples() {
    yield* feeds;
  },
});
export const calibrationOf = (feeds: Feeds[]) => ({ source: sourceOf(feeds), createRunner: (bytes: Uint8Array) => createNodeRunner(bytes) });

/** Smooth images (neighbouring pixels alike), as a CNN's calibration photos are. */
export function smoothImages(count: number, channels: number, height: number, width: number, seed: number): Feeds[] {
  return Array.from({ length: count }, (_, s) => {
    const noise = randomFloats(channels * height * width, seed + s, 0.01);
    const phase = randomFloats(channels * 2, seed + 100 + s, 3);
    const data = new Float32Array(channels * height * width);
    for (let c = 0; c < channels; c++) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      const i = (c * height + y) * width + x;
      data[i] = Math.sin(0.3 * y + phase[2 * c]!) * Math.cos(0.25 * x + phase[2 * c + 1]!) + noise[i]!;
    }
    return { x: { dtype: DataType.FLOAT, dims: [1, channels, height, width], data } };
  });
}


/** Conv 3×3 → Relu → depthwise 3×3 whose taps nearly cancel (batch norm folded into an edge filter) → Relu → Conv 1×1. */
export function edgeNet(): Model {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [1, 3, 24, 24]);
  const c1 = b.op('Conv', [x, b.initializer('w1', float32Tensor([8, 3, 3, 3], randomFloats(8 * 27, 1, 0.5)))], { name: 'c1', attributes: { pads: attr.ints([1, 1, 1, 1]) } });
  const r1 = b.op('Relu', [c1], { name: 'r1' });
  const taps = randomFloats(8 * 9, 2, 40);
  for (let ch = 0; ch < 8; ch++) {
    let sum = 0;
    for (let t = 0; t < 8; t++) sum += taps[ch * 9 + t]!;
    taps[ch * 9 + 8] = -sum + 0.5; // large taps that nearly cancel on smooth inputs
  }
  const dw = b.op('Conv', [r1, b.initializer('w2', float32Tensor([8, 1, 3, 3], taps)), b.initializer('b2', float32Tensor([8], randomFloats(8, 3, 0.5)))], {
    name: 'dw',
    attributes: { group: attr.int(8), pads: attr.ints([1, 1, 1, 1]) },
  });
  const r2 = b.op('Relu', [dw], { name: 'r2' });
  const c3 = b.op('Conv', [r2, b.initializer('w3', float32Tensor([4, 8, 1, 1], randomFloats(32, 4, 0.5)))], { name: 'c3' });
  b.output(c3, DataType.FLOAT, [1, 4, 24, 24]);
  return b.model;
}

/** edgeNet with w1, w2 and w3 replaced by the values a quantized edgeNet's DequantizeLinear gives (per output channel). */
export function withDequantizedWeights(quantized: Model): Model {
  const net = edgeNet();
  const inits = new Map([...quantized.graph.initializers.values()].map((v) => [v.name, v.initializer!]));
  for (const name of ['w1', 'w2', 'w3']) {
    const codes = toFloat32(inits.get(`${name}_quantized`)!);
    const scales = toFloat32(inits.get(`${name}_scale`)!);
    const weight = net.graph.initializers.get(name)!;
    const per = codes.length / scales.length;
    weight.initializer = float32Tensor([...weight.initializer!.dims], codes.map((q, i) => Math.fround(q * scales[Math.floor(i / per)]!)));
  }
  return net;
}

