// Speed of quantized models against their float form, side by side in one run (onnxruntime-node,
// CPU, 2 threads, interleaved runs, medians):
//   · mailwoman (peer's dynamic-int8 transformer, turned back to fp32 by `convert --to fp32`),
//     batch 1 × 128 tokens: fp32 vs lowbit dynamic vs the peer's own quantized file;
//   · ISNet 1024×1024: fp32 (imgly medium → fp32) vs lowbit dynamic vs the peer's `small`.
//   node bench/quantize-speed.mjs [runs]
import { readFileSync } from 'node:fs';
import { readModelFile, encodeModel, decodeModel, convertToFloat32, quantize, generateInputs, DataType, hasInt8DotProduct } from '../dist/index-node.js';
import { machine, requireModel, table } from './lib.mjs';
import { session, tensor, timeInterleaved } from './ort.mjs';

const runs = Number(process.argv[2] ?? 10);

async function fp32Of(path) {
  const { model } = readModelFile(path);
  convertToFloat32(model);
  return model;
}

function ortFeeds(feeds) {
  const out = {};
  for (const [name, t] of Object.entries(feeds)) {
    const type = { [DataType.FLOAT]: 'float32', [DataType.INT64]: 'int64' }[t.dtype];
    out[name] = tensor(type, t.dims, t.data);
  }
  return out;
}

async function compare(title, peerPath, floatModel, dims, timing, threads = 2) {
  const feeds = ortFeeds(generateInputs(floatModel, { dims, seed: 3 }));
  const fp32 = encodeModel(floatModel);
  const copy = decodeModel(fp32);
  await quantize(copy, { mode: 'dynamic' });
  const quantized = encodeModel(copy);
  const sessions = [await session(fp32, threads), await session(quantized, threads), await session(readFileSync(peerPath), threads)];
  const [f, q, p] = await timeInterleaved(sessions, feeds, timing);
  const row = (name, t, bytes) => [name, (bytes / 1e6).toFixed(1), t.median.toFixed(1), `${t.p10.toFixed(1)}–${t.p90.toFixed(1)}`, (1 / t.ratio).toFixed(2)];
  console.log(`\n#### ${title}\n`);
  console.log(table(['model', 'MB', 'ms (median)', 'p10–p90', 'speed-up vs fp32 (paired)'], [row('fp32', f, fp32.byteLength), row('lowbit dynamic', q, quantized.byteLength), row('peer (onnxruntime Python, dynamic)', p, readFileSync(peerPath).byteLength)]));
  return { ours: 1 / q.ratio, peer: 1 / p.ratio };
}

/** Prints whether a speed-up meets issue 3's bar; returns whether it does. */
function bar(what, speedUp, atLeast) {
  const met = speedUp >= atLeast;
  console.log(`- ${what}: ${speedUp.toFixed(2)}× fp32's speed, bar ≥ ${atLeast.toFixed(2)}×: ${met ? 'met' : 'MISSED'}`);
  return met;
}

console.log(`### Dynamic int8 speed: medians of interleaved runs (${runs * 10} rounds for mailwoman, ${runs} for ISNet); speed-ups are medians of per-round ratios\n`);
console.log(`Machine: ${machine()}; int8 dot product (VNNI): ${hasInt8DotProduct()}; onnxruntime-node 1.30, CPU, 2 threads. Command: \`node bench/quantize-speed.mjs ${runs}\``);
const mailwoman = requireModel('mailwoman-en-us');
// mailwoman runs in tens of milliseconds, so it gets ten times the rounds
const mailwomanFp32 = await fp32Of(mailwoman);
const m = await compare('mailwoman transformer (batch 1, 128 tokens)', mailwoman, mailwomanFp32, { batch: 1, sequence: 128 }, { runs: runs * 10, warmup: 3 });
// The same at one thread: the int8 kernels of a 128-token transformer gain less from a second
// thread than fp32's do, so the ratio at one thread shows what the kernels themselves buy.
await compare('mailwoman transformer (batch 1, 128 tokens), 1 thread (for comparison; the bar is at 2)', mailwoman, mailwomanFp32, { batch: 1, sequence: 128 }, { runs: runs * 10, warmup: 3 }, 1);
const isnet = requireModel('imgly-isnet-medium');
const i = await compare('ISNet 1024×1024 (convolutions stay float in dynamic mode)', requireModel('imgly-isnet-small'), await fp32Of(isnet), {}, { runs, warmup: 1 });
console.log('');
const met = [bar('mailwoman, lowbit dynamic', m.ours, 1.6), bar('ISNet, lowbit dynamic (never slower than fp32, 5% noise)', i.ours, 0.95)];
process.exit(met.every(Boolean) ? 0 : 1);
