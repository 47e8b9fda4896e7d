// fp16 on real models. Every corpus model must convert, pass the checker and load in
// onnxruntime-node; four of them are also measured against their float32 form: size at most
// 0.51×, cosine at least 0.999 on every output. ISNet and PaddleOCR det run on corpus photos
// (decoded by sharp, as the CLI does for image folders); mailwoman runs on generated inputs (ids within its
// vocabulary, masks 1, features uniform in [0, 1)); tinylm on its held-out text windows. The
// overflow search must find nothing on ISNet and name the real overflow of the mel front end.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { generateInputs } from '../../eval/inputs.js';
import { FidelityAccumulator } from '../../eval/metrics.js';
import { asNumbers } from '../../eval/verify.js';
import { parseNpy } from '../../data/npy.js';
import { readModelFile } from '../../node/model-files.js';
import { createNodeRunner } from '../../runner/ort-node.js';
import type { Feeds } from '../../runner/runner.js';
import { encodeModel } from '../../serde/encode.js';
import { convertToFloat32 } from '../to-fp32/convert-to-float32.js';
import { absentReason, corpusData, corpusModel, corpusModels, skipWithReason } from '../../../test/helpers/corpus.js';
import { convertToFloat16 } from './convert-to-float16.js';
import { findFloat16Overflow } from './find-overflow.js';
import { checkerErrors } from '../../../test/helpers/fidelity.js';
import { photoTensor } from '../../../test/helpers/photos.js';

type Ctx = { skip: (note?: string) => void };

/** The corpus model as float32: the file itself, or its `convert --to fp32` form. */
function float32Model(ctx: Ctx, id: string): Model | undefined {
  const entry = corpusModel(id);
  const absent = absentReason(entry.path, id);
  if (absent) {
    skipWithReason(ctx, absent);
    return undefined;
  }
  const { model } = readModelFile(entry.path);
  return id === 'imgly-isnet-medium' || id === 'mailwoman-en-us' ? convertToFloat32(model).model : model;
}

function photos(ctx: Ctx, names: string[]): string[] | undefined {
  const paths = names.map((n) => corpusData(`photos/${n}`));
  if (paths.some((p) => !p)) {
    skipWithReason(ctx, `corpus photos ${names.join(', ')} are absent; run \`npm run corpus\``);
    return undefined;
  }
  return paths as string[];
}

interface Measured {
  sizeRatio: number;
  cosines: Record<string, number>;
  fp16: Uint8Array;
}

/** Convert to fp16 and measure size and per-output cosine over the samples, in onnxruntime-node. */
async function measure(label: string, float: Model, samples: Feeds[]): Promise<Measured> {
  const fp32 = encodeModel(float);
  const result = convertToFloat16(float);
  expect(checkerErrors(result.model)).toEqual([]);
  const fp16 = encodeModel(result.model);
  const [a, b] = [await createNodeRunner(fp32, { threads: 2 }), await createNodeRunner(fp16, { threads: 2 })];
  const acc = new Map<string, FidelityAccumulator>();
  try {
    for (const feeds of samples) {
      const [ra, rb] = [await a.run(feeds), await b.run(feeds)];
      for (const name of Object.keys(ra)) {
        if (!acc.has(name)) acc.set(name, new FidelityAccumulator());
        acc.get(name)!.add(asNumbers(ra[name]!), asNumbers(rb[name]!));
      }
    }
  } finally {
    await Promise.all([a.dispose(), b.dispose()]);
  }
  const cosines = Object.fromEntries([...acc].map(([name, m]) => [name, m.result().cosine]));
  const sizeRatio = fp16.byteLength / fp32.byteLength;
  const worst = Math.min(...Object.values(cosines));
  console.log(`fp16 ${label}: ${(fp32.byteLength / 1e6).toFixed(1)} MB → ${(fp16.byteLength / 1e6).toFixed(1)} MB (${sizeRatio.toFixed(3)}×), worst cosine ${worst.toFixed(6)} over ${Object.keys(cosines).length} output(s), ${samples.length} sample(s); kept float32: ${result.keptFloat.length}`);
  expect(sizeRatio).toBeLessThanOrEqual(0.51);
  for (const [name, cosine] of Object.entries(cosines)) expect(cosine, `output ${name}`).toBeGreaterThanOrEqual(0.999);
  return { sizeRatio, cosines, fp16 };
}

describe('fp16 on corpus models', () => {
  for (const entry of corpusModels()) {
    it(`${entry.id} converts, passes the checker and loads in onnxruntime-node (default optimizations)`, async (ctx) => {
      const absent = absentReason(entry.path, entry.id);
      if (absent) return skipWithReason(ctx, absent);
      const { model, keptFloat } = convertToFloat16(readModelFile(entry.path).model);
      expect(checkerErrors(model)).toEqual([]);
      expect(keptFloat.every((d) => d.reason.length > 0 && d.code.startsWith('fp16-'))).toBe(true);
      const runner = await createNodeRunner(encodeModel(model));
      await runner.dispose();
    });
  }

  it('ISNet (imgly medium → fp32 → fp16) on two photos at 1024×1024, with no float16 overflow', { timeout: 600_000 }, async (ctx) => {
    const float = float32Model(ctx, 'imgly-isnet-medium');
    const paths = photos(ctx, ['astronaut.png', 'chelsea.png']);
    if (!float || !paths) return;
    const samples = await Promise.all(paths.map(async (p) => ({ input: await photoTensor(p, 1024, 1024, 'mean=0.5,std=1') })));
    const { fp16 } = await measure('ISNet', float, samples);
    const started = performance.now();
    const overflow = await findFloat16Overflow(fp16, samples[0]!, (bytes) => createNodeRunner(bytes, { optimization: 'disabled', threads: 2 }));
    console.log(`fp16 ISNet overflow search: ${overflow ? `${overflow.opType} '${overflow.node}'` : 'none'} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(overflow).toBeUndefined();
  });

  it('the overflow search names the power spectrum of oww-melspectrogram on audio-scale input', async (ctx) => {
    const float = float32Model(ctx, 'oww-melspectrogram');
    if (!float) return;
    const entry = corpusModel('oww-melspectrogram');
    const feeds = generateInputs(float, { dims: { batch_size: 1, samples: 1760 }, ...(entry.hints ? { hints: entry.hints } : {}), seed: 5 });
    const fp16 = convertToFloat16(float).model;
    // |STFT|² of 16-bit-scale samples (±1000) is far beyond 65504: the first Pow overflows.
    const overflow = await findFloat16Overflow(fp16, feeds, (bytes) => createNodeRunner(bytes, { optimization: 'disabled' }));
    expect(overflow).toMatchObject({ node: 'Pow_11', opType: 'Pow', nans: 0 });
    expect(overflow!.infinities).toBeGreaterThan(0);
  });

  it('PaddleOCR det on two photos at 320×320', { timeout: 300_000 }, async (ctx) => {
    const float = float32Model(ctx, 'ppocrv4-det');
    const paths = photos(ctx, ['page.png', 'coffee.png']);
    if (!float || !paths) return;
    const samples = await Promise.all(paths.map(async (p) => ({ x: await photoTensor(p, 320, 320, 'mean=0.485/0.456/0.406,std=0.229/0.224/0.225') })));
    await measure('PaddleOCR det', float, samples);
  });

  it('mailwoman (converted to fp32) on 128 generated tokens', { timeout: 300_000 }, async (ctx) => {
    const float = float32Model(ctx, 'mailwoman-en-us');
    if (!float) return;
    const samples = [1, 2].map((seed) => generateInputs(float, { dims: { batch: 1, sequence: 128 }, seed }));
    await measure('mailwoman', float, samples);
  });

  it('tinylm on two held-out windows of 128 bytes', { timeout: 300_000 }, async (ctx) => {
    const float = float32Model(ctx, 'tinylm');
    if (!float) return;
    const heldout = parseNpy(readFileSync(corpusModel('tinylm').path.replace(/model\.onnx$/, 'heldout.npy')));
    const rows = heldout.data as BigInt64Array;
    const width = heldout.dims[1]!;
    const samples = [0, 1].map((w) => ({ input_ids: { dtype: DataType.INT64, dims: [1, 128], data: rows.slice(w * width, w * width + 128) } }));
    await measure('tinylm', float, samples);
  });
});
