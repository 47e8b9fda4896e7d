import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../ir/builder.js';
import { attr } from '../ir/attribute.js';
import { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import { float32Tensor, toFloat32 } from '../ir/tensor/values.js';
import { decodeModel } from '../serde/decode.js';
import { encodeModel } from '../serde/encode.js';
import { quantize } from '../quantize/quantize.js';
import { createNodeRunner } from '../runner/ort-node.js';
import type { SampleSource } from '../data/samples.js';
import { seededRandom } from '../util/random.js';
import { generateInputs } from './inputs.js';
import { verifyRunners } from './verify.js';
import { comparePerLayer } from './per-layer.js';
import { excludeCommand } from './exclude-command.js';

const LAYERS = 5;
const BROKEN = 'conv2';

/** Five 3×3 convolutions with ReLU, pooling and a classifier: every Conv and the MatMul get int8 weights. */
function floatCnn(): Uint8Array {
  const rand = seededRandom(7);
  const floats = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
  const b = new GraphBuilder(13);
  let h = b.input('x', DataType.FLOAT, [1, 3, 16, 16]);
  let channels = 3;
  for (let i = 0; i < LAYERS; i++) {
    const w = b.initializer(`w${i}`, float32Tensor([8, channels, 3, 3], floats(8 * channels * 9, 0.4)));
    const bias = b.initializer(`b${i}`, float32Tensor([8], floats(8, 0.1)));
    h = b.op('Relu', [b.op('Conv', [h, w, bias], { name: `conv${i}`, attributes: { pads: attr.ints([1, 1, 1, 1]) } })], { name: `relu${i}` });
    channels = 8;
  }
  const flat = b.op('Flatten', [b.op('GlobalAveragePool', [h], { name: 'pool' })], { name: 'flatten' });
  b.output(b.op('MatMul', [flat, b.initializer('fc_w', float32Tensor([8, 10], floats(80, 0.5)))], { name: 'fc' }), DataType.FLOAT, [1, 10]);
  return encodeModel(b.model);
}

async function quantized(float: Uint8Array, exclude: string[] = []): Promise<Model> {
  const model = decodeModel(float);
  await quantize(model, { mode: 'weights-int8', exclude });
  return model;
}

/** Break one layer the way a bad calibration would: its weight scale three times too large. */
function breakScale(model: Model, weight: string): Model {
  const scale = model.graph.initializers.get(`${weight}_scale`)!;
  const values = Float32Array.from(toFloat32(scale.initializer!), (s) => s * 3);
  scale.initializer = DenseTensor.fromTyped(DataType.FLOAT, [...scale.initializer!.dims], values);
  return model;
}

function randomSource(model: Model, count: number): SampleSource {
  return {
    label: `${count} random samples`,
    size: count,
    async *samples() {
      for (let i = 0; i < count; i++) yield generateInputs(model, { seed: 100 + i });
    },
  };
}

const createRunner = (bytes: Uint8Array) => createNodeRunner(bytes, { threads: 1 });

async function outputSqnr(float: Uint8Array, candidate: Model): Promise<number> {
  const [a, b] = [await createRunner(float), await createRunner(encodeModel(candidate))];
  try {
    return (await verifyRunners(a, b, randomSource(decodeModel(float), 4))).outputs[0]!.sqnrDb;
  } finally {
    await Promise.all([a.dispose(), b.dispose()]);
  }
}

describe('comparePerLayer', () => {
  it('ranks a layer with a broken scale first and suggests excluding it alone; excluding it repairs the output', async () => {
    const floatBytes = floatCnn();
    const float = decodeModel(floatBytes);
    const broken = breakScale(await quantized(floatBytes), 'w2');
    const before = encodeModel(broken);

    const result = await comparePerLayer(float, broken, randomSource(float, 3), createRunner);
    expect(result.samples).toBe(3);
    expect(result.compared).toBe(LAYERS * 2 + 3); // each Conv and Relu, pool, flatten, fc
    expect(result.layers[0]).toMatchObject({ node: BROKEN, opType: 'Conv', quantized: true });
    expect(result.layers.find((l) => l.node === 'relu0')).toMatchObject({ quantized: false });
    expect(result.suggestion.exclude).toEqual([BROKEN]);
    expect(encodeModel(broken)).toEqual(before); // the caller's model is left as it was

    const brokenSqnr = await outputSqnr(floatBytes, broken);
    const repairedSqnr = await outputSqnr(floatBytes, await quantized(floatBytes, result.suggestion.exclude));
    expect(brokenSqnr).toBeLessThan(10);
    expect(repairedSqnr).toBeGreaterThan(30);
    expect(excludeCommand({ exclude: result.suggestion.exclude, floatPath: 'f.onnx', quantizedPath: 'q.onnx', metadata: broken.metadataProps })).toBe(
      'lowbit quantize f.onnx -o q-excluded.onnx --mode weights-int8 --exclude conv2',
    );
  });

  it('suggests nothing for a healthy quantization', async () => {
    const floatBytes = floatCnn();
    const result = await comparePerLayer(decodeModel(floatBytes), await quantized(floatBytes), randomSource(decodeModel(floatBytes), 2), createRunner);
    expect(result.suggestion.exclude).toEqual([]);
    expect(result.suggestion.reason).toMatch(/no quantized layer stands out/);
    for (const layer of result.layers) expect(layer.sqnrDb).toBeGreaterThan(25);
  });

  it('counts the nodes fp16 made compute in float16 as rewritten, though their op and inputs keep their names', async () => {
    const floatBytes = floatCnn();
    const half = decodeModel(floatBytes);
    await quantize(half, { mode: 'fp16' });
    const result = await comparePerLayer(decodeModel(floatBytes), half, randomSource(decodeModel(floatBytes), 1), createRunner);
    const convs = result.layers.filter((l) => l.opType === 'Conv');
    expect(convs.length).toBe(LAYERS);
    for (const conv of convs) expect(conv.quantized).toBe(true);
  });

  it('gives the same figures when values are exposed in many small groups', async () => {
    const floatBytes = floatCnn();
    const broken = async () => breakScale(await quantized(floatBytes), 'w2');
    const one = await comparePerLayer(decodeModel(floatBytes), await broken(), randomSource(decodeModel(floatBytes), 1), createRunner);
    const many = await comparePerLayer(decodeModel(floatBytes), await broken(), randomSource(decodeModel(floatBytes), 1), createRunner, { groupBytes: 1 });
    expect(one.groups).toBe(1);
    expect(many.groups).toBe(many.compared);
    expect(many.layers).toEqual(one.layers);
  });

  it('says so when the models share no values', async () => {
    const other = new GraphBuilder(13);
    const x = other.input('x', DataType.FLOAT, [1, 3, 16, 16]);
    other.output(other.op('Relu', [x], { outputs: ['elsewhere'] }), DataType.FLOAT, [1, 3, 16, 16]);
    const float = decodeModel(floatCnn());
    await expect(comparePerLayer(float, other.model, randomSource(float, 1), createRunner)).rejects.toThrow(/share no intermediate float values/);
  });
});
