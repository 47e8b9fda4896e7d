import { describe, expect, it } from 'vitest';
import { DataType } from '../ir/dtype.js';
import { checkModel } from '../ir/checker.js';
import { encodeModel } from '../serde/encode.js';
import { decodeModel } from '../serde/decode.js';
import { seededRandom } from '../util/random.js';
import { runOnce } from '../../test/helpers/ort.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { exportOnnx } from './export.js';
import { BatchNorm2d } from './layers/batchnorm2d.js';
import { Net } from './net.js';
import { foldBatchNorm } from './qat.js';
import { lenetSpec, OUTPUT_NAME } from './spec.js';

/** A LeNet with random weights and (for the batch-norm variant) non-trivial running statistics. */
function randomNet(batchNorm: boolean): Net {
  const net = new Net(lenetSpec({ batchNorm })).init(11);
  const rand = seededRandom(12);
  for (let i = 0; i < net.params.length; i++) net.params[i] = net.params[i]! + (rand() - 0.5) * 0.1;
  // Running mean in [−0.5, 0.5], running variance in [0.5, 1.5].
  for (const layer of net.layers) {
    if (!(layer instanceof BatchNorm2d)) continue;
    layer.runningMean.forEach((_, c, a) => (a[c] = rand() - 0.5));
    layer.runningVar.forEach((_, c, a) => (a[c] = rand() + 0.5));
  }
  return net;
}

function images(n: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n * 784 }, () => (rand() < 0.8 ? 0 : rand())); // mostly black, like digits
}

describe('exporting a trained network to ONNX', () => {
  it.each([false, true])('gives the logits of the TypeScript forward pass in onnxruntime, to 1e-4 (batch norm: %s)', async (batchNorm) => {
    const net = randomNet(batchNorm);
    const model = exportOnnx(net);
    expect(checkModel(model)).toEqual([]);
    const ops = [...model.graph.nodes].map((n) => n.opType);
    expect(ops).toEqual([
      'Conv',
      ...(batchNorm ? ['BatchNormalization'] : []),
      'Relu',
      'MaxPool',
      'Conv',
      ...(batchNorm ? ['BatchNormalization'] : []),
      'Relu',
      'MaxPool',
      'Flatten',
      'Gemm',
      'Relu',
      'Gemm',
      'Relu',
      'Gemm',
    ]);
    const bytes = encodeModel(model);
    const n = 5;
    const x = images(n, 3);
    const ours = Float32Array.from(net.forward(x, n, false).subarray(0, n * 10));
    for (const optimization of ['disabled', 'all'] as const) {
      const out = await runOnce(bytes, { image: { dtype: DataType.FLOAT, dims: [n, 1, 28, 28], data: x } }, optimization);
      const theirs = out[OUTPUT_NAME]!.data as Float32Array;
      expect(out[OUTPUT_NAME]!.dims).toEqual([n, 10]);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!));
      expect(worst, `largest |logit difference| with graph optimizations ${optimization}`).toBeLessThan(1e-4);
    }
  });

  it('writes the model lowbit reads back: symbolic batch, names, metadata', () => {
    const net = randomNet(false);
    const back = decodeModel(encodeModel(exportOnnx(net)));
    expect(back.graph.inputs.map((v) => v.name)).toEqual(['image']);
    expect(back.graph.outputs.map((v) => v.name)).toEqual(['logits']);
    expect(back.opset()).toBe(13);
    expect(back.producerName).toBe('lowbit');
    expect(JSON.parse(back.metadataProps.find(([k]) => k === 'lowbit.train.spec')![1]).layers).toHaveLength(12);
    const w = back.graph.initializers.get('conv1.weight')!.initializer!;
    expect(w.dims).toEqual([6, 1, 5, 5]);
    expect(back.graph.initializers.get('fc1.weight')!.initializer!.dims).toEqual([120, 400]);
  });

  it('folding batch norm into the convolutions keeps inference outputs', () => {
    const net = randomNet(true);
    const folded = foldBatchNorm(net);
    expect(folded.spec.layers.some((l) => l.type === 'batchnorm2d')).toBe(false);
    const x = images(3, 8);
    const a = Float32Array.from(net.forward(x, 3, false).subarray(0, 30));
    const b = folded.forward(x, 3, false);
    for (let i = 0; i < 30; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-4);
  });

  it('a checkpoint gives back the same network, state included', () => {
    const net = randomNet(true);
    // As read from a file: a Buffer at an odd offset of a larger one.
    const saved = saveCheckpoint(net, { note: 'x' });
    const file = Buffer.concat([Buffer.from([0]), Buffer.from(saved)]).subarray(1);
    const { net: back, meta } = loadCheckpoint(file);
    expect(meta).toEqual({ note: 'x' });
    expect(back.spec).toEqual(net.spec);
    expect(Buffer.from(back.params.buffer).equals(Buffer.from(net.params.buffer))).toBe(true);
    expect(Array.from(back.state)).toEqual(Array.from(net.state));
    expect(() => loadCheckpoint(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(/not a lowbit training checkpoint/);
  });
});
