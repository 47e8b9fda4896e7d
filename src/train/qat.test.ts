import { describe, expect, it } from 'vitest';
import { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { toFloat32, typedData } from '../ir/tensor/values.js';
import { dequantizeLinear, quantizeLinear } from '../quant/linear.js';
import { quantRange } from '../quant/qtypes.js';
import { quantizeWeight } from '../quant/weights.js';
import { encodeModel } from '../serde/encode.js';
import { decodeModel } from '../serde/decode.js';
import { createNodeRunner } from '../runner/ort-node.js';
import { seededRandom } from '../util/random.js';
import { corpusData, skipWithReason } from '../../test/helpers/corpus.js';
import { datasetSource, splitIndices, type Dataset } from './data.js';
import { evaluateNet } from './evaluate.js';
import { FakeQuant } from './layers/fake-quant.js';
import { Net } from './net.js';
import { loadMnist } from './node/mnist.js';
import { int8KernelsSaturate } from './node/u8s8-probe.js';
import { calibrateQat, exportQat, prepareQat, qatRanges, qatSpec } from './qat.js';
import { lenetSpec, OUTPUT_NAME, type ModelSpec } from './spec.js';
import { train } from './trainer.js';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/temp-dir.js';

const fqTensors = (spec: ModelSpec) => spec.layers.flatMap((l) => (l.type === 'fakequant' ? [l.tensor] : []));

describe('where QAT puts fake quantizers', () => {
  it('LeNet: on the input, after each ReLU that follows a weighted layer, and on the logits — where static int8 puts Q/DQ', () => {
    const spec = qatSpec(lenetSpec());
    expect(fqTensors(spec)).toEqual(['image', 'relu1', 'relu2', 'relu3', 'relu4', 'logits']);
    expect(spec.layers.filter((l) => (l.type === 'conv2d' || l.type === 'linear') && l.quantize).map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
  });

  it('a ReLU that follows no weighted layer runs in float, so the next layer quantizes its input afresh', () => {
    const spec = qatSpec({ input: [1, 8, 8], layers: [{ type: 'conv2d', out: 2, kernel: 3 }, { type: 'maxpool2d', kernel: 2 }, { type: 'relu' }, { type: 'flatten' }, { type: 'linear', out: 3 }] });
    expect(fqTensors(spec)).toEqual(['image', 'conv1', 'flatten1', 'logits']);
  });

  it('batch norm must be folded first', () => {
    expect(() => qatSpec(lenetSpec({ batchNorm: true }))).toThrow(/fold batch normalization/);
  });
});

describe('fake quantization', () => {
  it("is ONNX's QuantizeLinear → DequantizeLinear, bit for bit, ties included; the gradient passes only inside the range", () => {
    const net = new Net({ input: [64], layers: [{ type: 'fakequant', tensor: 'x' }] }).init(1);
    const fq = net.layer<FakeQuant>('fq1');
    // Calibrate on [−1, 3]: scale 4/255, zero point 64.
    net.forward(Float32Array.from([-1, 3]), 1, true);
    net.mergeStats([net.stats]);
    fq.setEnabled(true);
    const { scale, zeroPoint } = fq.quantParams();
    expect(zeroPoint).toBe(64);
    const rand = seededRandom(4);
    const x = Float32Array.from({ length: 64 }, (_, i) => (i < 20 ? Math.fround((i - 10 + 0.5) * scale) : (rand() * 2 - 1) * 5));
    const y = net.forward(x, 1, false);
    const q = new Uint8Array(64);
    quantizeLinear(x, scale, zeroPoint, 0, 255, q);
    const want = new Float32Array(64);
    dequantizeLinear(q, scale, zeroPoint, want);
    expect(Array.from(y)).toEqual(Array.from(want));
    const dy = new Float32Array(64).fill(1);
    const dx = net.backward(dy, 1, true)!;
    for (let i = 0; i < 64; i++) {
      const inside = Math.fround(x[i]! / scale) + zeroPoint >= -0.5 && Math.fround(x[i]! / scale) + zeroPoint <= 255.5;
      if (Math.abs(x[i]! / scale + zeroPoint - 255.5) > 1e-3 && Math.abs(x[i]! / scale + zeroPoint + 0.5) > 1e-3) expect(dx[i], `x = ${x[i]}`).toBe(inside ? 1 : 0);
    }
  });

  it('ranges: min/max while calibrating, then a moving average of each step’s min and max over all shards', () => {
    const net = new Net({ input: [2], layers: [{ type: 'fakequant', tensor: 'x', ema: 0.25 }] }).init(1);
    const fq = net.layer<FakeQuant>('fq1');
    const shard = (lo: number, hi: number) => {
      net.forward(Float32Array.from([lo, hi]), 1, true);
      return Float32Array.from(net.stats);
    };
    net.mergeStats([shard(0, 1), shard(-1, 0.5)]);
    net.mergeStats([shard(0, 2)]);
    expect(fq.range()).toEqual({ min: -1, max: 2 });
    fq.setEnabled(true);
    net.mergeStats([shard(0, 4), shard(-3, 1)]);
    expect(fq.range()).toEqual({ min: -1 + 0.25 * (-3 - -1), max: 2 + 0.25 * (4 - 2) });
  });
});

/** The QAT LeNet trained briefly on MNIST digits, or undefined when MNIST is absent. */
async function trainedQat(reduceRange: boolean): Promise<{ qat: Net; data: Dataset; test: Int32Array } | undefined> {
  const dir = corpusData('mnist');
  if (!dir) return undefined;
  const data = loadMnist(dir);
  const { train: tr, test } = splitIndices(data.count, { seed: 5, testFraction: 0.25, limit: 2000 });
  const net = new Net(lenetSpec()).init(5);
  await train(net, data, tr, { epochs: 2, batchSize: 32, optimizer: { type: 'adam', lr: 2e-3 }, seed: 5 });
  const qat = prepareQat(net, { reduceRange });
  calibrateQat(qat, data, tr.subarray(0, 300));
  await train(qat, data, tr.subarray(0, 600), { epochs: 1, batchSize: 32, optimizer: { type: 'adam', lr: 2e-4 }, seed: 6 });
  return { qat, data, test };
}

const initializer = (model: Model, name: string) => model.graph.initializers.get(name)?.initializer;

describe('the QAT model exported in the QDQ form of static int8', () => {
  it('holds the tracked scales and the weights the fake quantizers computed with; onnxruntime fuses it into QLinearConv and QGemm and agrees with the TypeScript evaluation', async (ctx) => {
    const reduceRange = await int8KernelsSaturate();
    const trained = await trainedQat(reduceRange);
    if (!trained) return skipWithReason(ctx, 'MNIST is absent (.corpus/data/mnist); run `npm run corpus`');
    const { qat, data, test } = trained;
    const { model, result } = await exportQat(qat);
    expect(result.skipped).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.quantized).toBe(8); // 2 Conv, 2 MaxPool, Flatten, 3 Gemm

    // Each tracked tensor's QuantizeLinear holds the fake quantizer's scale and zero point.
    const ranges = qatRanges(qat);
    expect([...ranges.keys()]).toEqual(['image', 'relu1', 'relu2', 'relu3', 'relu4', 'logits']);
    for (const fq of qat.fakeQuants()) {
      const q = [...model.graph.nodes].find((n) => n.opType === 'QuantizeLinear' && n.input(0)!.name.replace(/_float$/, '') === fq.tensor)!;
      expect(q, fq.tensor).toBeDefined();
      const { scale, zeroPoint } = fq.quantParams();
      expect(toFloat32(q.input(1)!.constTensor()!)[0]).toBe(Math.fround(scale));
      expect(Number(typedData(q.input(2)!.constTensor()!)[0])).toBe(zeroPoint);
    }
    // Weights: the int8 values and scales quantizeWeight gives for the float weights.
    for (const layer of ['conv1', 'conv2', 'fc1', 'fc2', 'fc3']) {
      const w = qat.param(layer, 'weight');
      const dims = qat.paramEntries.find((e) => e.layer === layer && e.name === 'weight')!.dims;
      const want = quantizeWeight(w, dims, { axis: 0, reduceRange });
      const stored = initializer(model, `${layer}.weight_quantized`)!;
      expect(Array.from(typedData(stored) as Int8Array), layer).toEqual(Array.from(want.values));
      expect(Array.from(toFloat32(initializer(model, `${layer}.weight_scale`)!))).toEqual(Array.from(want.scales));
      const limit = quantRange(DataType.INT8, { symmetric: true, reduceRange }).qmax;
      expect(Math.max(...Array.from(want.values, Math.abs))).toBe(limit);
    }

    // onnxruntime turns every Q/DQ group into an int8 kernel.
    const path = join(tempDir('qat-optimized'), 'optimized.onnx');
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'all', optimizedModelFilePath: path, logSeverityLevel: 3 });
    await session.release();
    const { readModelFile } = await import('../node/model-files.js');
    const fused = [...readModelFile(path).model.graph.nodes].map((n) => n.opType);
    expect(fused.filter((o) => o === 'QLinearConv')).toHaveLength(2);
    expect(fused.filter((o) => o === 'QGemm')).toHaveLength(3);
    for (const op of ['Conv', 'Gemm', 'Relu', 'MatMul']) expect(fused).not.toContain(op);

    // Top-1 in onnxruntime (fused int8 kernels) against the TypeScript fake-quantized network.
    const ts = evaluateNet(qat, data, test);
    const bytes = encodeModel(decodeModel(encodeModel(model)));
    for (const optimization of ['disabled', 'all'] as const) {
      const runner = await createNodeRunner(bytes, { optimization, threads: 1 });
      let same = 0;
      let correct = 0;
      let k = 0;
      for await (const feeds of datasetSource(data, test, 100, 'test').samples()) {
        const out = (await runner.run(feeds))[OUTPUT_NAME]!;
        const z = out.data as Float32Array;
        for (let r = 0; r < out.dims[0]!; r++, k++) {
          let best = 0;
          for (let c = 1; c < 10; c++) if (z[r * 10 + c]! > z[r * 10 + best]!) best = c;
          if (best === ts.predictions[k]) same++;
          if (best === data.labels[test[k]!]) correct++;
        }
      }
      await runner.dispose();
      expect(same / test.length, `prediction agreement, optimizations ${optimization}`).toBeGreaterThanOrEqual(0.995);
      expect(Math.abs(correct / test.length - ts.top1), `top-1 difference, optimizations ${optimization}`).toBeLessThanOrEqual(0.004);
    }
    expect(ts.top1).toBeGreaterThan(0.85);
  });
});
