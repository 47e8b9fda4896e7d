// `convert --to fp32` on the corpus's float16 and quantized models: the result must carry no
// quantized op, pass the checker, load in onnxruntime-node and stay close to the source model.
// ISNet runs on a corpus photo; mailwoman on generated inputs (128 tokens: ids within its
// vocabulary, masks 1, features uniform in [0, 1)).
import { describe, expect, it } from 'vitest';
import type { Model } from '../../ir/model.js';
import { generateInputs } from '../../eval/inputs.js';
import { readModelFile } from '../../node/model-files.js';
import type { Feeds } from '../../runner/runner.js';
import { encodeModel } from '../../serde/encode.js';
import { absentReason, corpusData, corpusModel, skipWithReason } from '../../../test/helpers/corpus.js';
import { checkerErrors, fidelity, run } from '../../../test/helpers/fidelity.js';
import { photoTensor } from '../../../test/helpers/photos.js';
import { convertToFloat32 } from './convert-to-float32.js';

type Ctx = { skip: (note?: string) => void };

const QUANTIZED = /^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear|MatMulInteger|ConvInteger|QLinear\w+)$/;

function load(ctx: Ctx, id: string): { source: Uint8Array; model: Model } | undefined {
  const entry = corpusModel(id);
  const absent = absentReason(entry.path, id);
  if (absent) {
    skipWithReason(ctx, absent);
    return undefined;
  }
  const loaded = readModelFile(entry.path);
  return { source: encodeModel(loaded.model), model: loaded.model };
}

async function isnetInput(ctx: Ctx): Promise<Feeds | undefined> {
  const photo = corpusData('photos/astronaut.png');
  if (!photo) {
    skipWithReason(ctx, 'corpus photo astronaut.png is absent; run `npm run corpus`');
    return undefined;
  }
  return { input: await photoTensor(photo, 1024, 1024, 'mean=0.5,std=1') };
}

/** Convert, check structure, run both and report cosine and max error per output. */
async function convertAndCompare(label: string, source: Uint8Array, model: Model, feeds: Feeds) {
  const result = convertToFloat32(model);
  expect(checkerErrors(result.model)).toEqual([]);
  expect([...result.model.graph.allNodes()].map((n) => n.opType).filter((op) => QUANTIZED.test(op))).toEqual([]);
  expect(result.notes.filter((d) => d.severity === 'warning')).toEqual([]);
  const metrics = fidelity(await run(source, feeds), await run(result.model, feeds));
  const worst = Math.min(...Object.values(metrics).map((m) => m.cosine));
  const figures = Object.entries(metrics).map(([name, m]) => `${name}: cos ${m.cosine.toFixed(6)}, max|err| ${m.maxAbsError.toExponential(2)}`);
  console.log(`to-fp32 ${label}: ${(source.byteLength / 1e6).toFixed(1)} MB → ${(encodeModel(result.model).byteLength / 1e6).toFixed(1)} MB; ${result.notes.map((d) => d.reason).join('; ')}\n  ${figures.join('\n  ')}`);
  return { result, metrics, worst };
}

describe('convertToFloat32 on corpus models', () => {
  it('imgly medium (fp16) becomes the fp32 ISNet with the same outputs', { timeout: 300_000 }, async (ctx) => {
    const loaded = load(ctx, 'imgly-isnet-medium');
    const feeds = await isnetInput(ctx);
    if (!loaded || !feeds) return;
    const { result, metrics } = await convertAndCompare('ISNet medium', loaded.source, loaded.model, feeds);
    expect([...result.model.graph.allNodes()].some((n) => n.opType === 'Cast')).toBe(false);
    expect(result.model.graph.inputs.map((v) => v.name)).toEqual(['input']);
    // Same weights, same graph. The fp16 model still rounds to float16 at its input, around each
    // Resize and at its outputs (one float16 step near 1.0 is 9.8e-4); onnxruntime's CPU build runs
    // the rest in float32 either way. So: the sigmoid outputs differ by at most about one step.
    expect(metrics['output']!.maxAbsError).toBeLessThan(1e-3);
    for (const m of Object.values(metrics)) expect(m.cosine).toBeGreaterThan(0.9999995);
  });

  it('imgly small (ConvInteger) becomes float Conv', { timeout: 300_000 }, async (ctx) => {
    const loaded = load(ctx, 'imgly-isnet-small');
    const feeds = await isnetInput(ctx);
    if (!loaded || !feeds) return;
    const { result, worst } = await convertAndCompare('ISNet small', loaded.source, loaded.model, feeds);
    expect(result.notes.find((d) => d.code === 'fp32-undone')?.reason).toBe('119× ConvInteger → Conv');
    // The float model no longer rounds activations to 8 bits; it stays close to the quantized one.
    expect(worst).toBeGreaterThan(0.99);
  });

  it('mailwoman (MatMulInteger, uint8 embeddings) becomes a float transformer', { timeout: 300_000 }, async (ctx) => {
    const loaded = load(ctx, 'mailwoman-en-us');
    if (!loaded) return;
    const feeds = generateInputs(loaded.model, { dims: { batch: 1, sequence: 128 }, seed: 3 });
    const { result, worst } = await convertAndCompare('mailwoman', loaded.source, loaded.model, feeds);
    expect(result.notes.filter((d) => d.code === 'fp32-undone').map((d) => d.reason)).toEqual([
      '33× MatMulInteger → MatMul',
      '2× quantized Gather table dequantized',
    ]);
    expect(worst).toBeGreaterThan(0.995);
  });
});
