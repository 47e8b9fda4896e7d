import { describe, expect, it } from 'vitest';
import { attr } from '../src/ir/attribute.js';
import { GraphBuilder } from '../src/ir/builder.js';
import { DataType } from '../src/ir/dtype.js';
import { float32Tensor } from '../src/ir/tensor/values.js';
import { encodeModel } from '../src/serde/encode.js';
import { quantize } from '../src/quantize/quantize.js';
import type { QuantizeOptions } from '../src/quantize/options.js';
import { createWebRunner } from '../src/runner/ort-web.js';
import { createNodeRunner } from '../src/runner/ort-node.js';
import { FidelityAccumulator } from '../src/eval/metrics.js';
import { minMaxCalibrator } from './helpers/minmax-calibrator.js';
import { randomFloats } from './helpers/ort.js';

function cnn() {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [1, 3, 16, 16]);
  const c = b.op('Relu', [b.op('Conv', [x, b.initializer('w', float32Tensor([8, 3, 3, 3], randomFloats(216, 1, 0.4)))], { attributes: { pads: attr.ints([1, 1, 1, 1]) } })]);
  const g = b.op('GlobalAveragePool', [c]);
  const f = b.op('Flatten', [g]);
  b.output(b.op('Gemm', [f, b.initializer('fc', float32Tensor([10, 8], randomFloats(80, 2, 0.5))), b.initializer('fc_b', float32Tensor([10], randomFloats(10, 3)))], { attributes: { transB: attr.int(1) } }), DataType.FLOAT, [1, 10]);
  return b.model;
}

const feeds = { x: { dtype: DataType.FLOAT, dims: [1, 3, 16, 16], data: randomFloats(768, 5) } };

describe('outputs load and run in onnxruntime-web (its Node build)', () => {
  const modes: QuantizeOptions[] = [
    { mode: 'weights-int8' },
    { mode: 'dynamic' },
    { mode: 'int8', calibrate: minMaxCalibrator([feeds]) },
  ];
  for (const options of modes) {
    // The two builds run different int8 kernels (x86 AVX2 vs WebAssembly SIMD; u8×s8 pairs can
    // saturate in the former), so each is compared with the float model rather than with the other.
    it(`${options.mode}: loads, runs and stays close to float in both runtimes`, async () => {
      const model = cnn();
      await quantize(model, options);
      const bytes = encodeModel(model);
      const float = await createNodeRunner(encodeModel(cnn()));
      const web = await createWebRunner(bytes);
      const node = await createNodeRunner(bytes);
      try {
        const name = model.graph.outputs[0]!.name;
        const reference = (await float.run(feeds))[name]!.data as Float32Array;
        for (const runner of [web, node]) {
          const acc = new FidelityAccumulator();
          acc.add(reference, (await runner.run(feeds))[name]!.data as Float32Array);
          expect(acc.result().cosine).toBeGreaterThan(0.99);
        }
      } finally {
        await Promise.all([float.dispose(), web.dispose(), node.dispose()]);
      }
    });
  }
});
