// Speed of quantized models against their float form, side by side in one run (onnxruntime-node,
// CPU, 2 threads, interleaved runs, medians):
//   · mailwoman (peer's dynamic-int8 transformer, turned back to fp32 by `convert --to fp32`),
//     batch 1 × 128 tokens: fp32 vs lowbit dynamic vs the peer's own quantized file;
//   · ISNet 1024×1024: fp32 (imgly medium → fp32) vs lowbit dynamic vs the peer's `small`.
//   node bench/quantize-speed.mjs [runs]
import { readFileSync } from 'node:fs';
import { readModelFile, encodeModel, decodeModel, convertToFloat32, quantize, generateInputs, DataType } from '../dist/index-node.js';
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

async function compare(title, peerPath, floatModel, dims, timing) {
  const feeds = ortFeeds(generateInputs(floatModel, { dims, seed: 3 }));
  const fp32 = encodeModel(floatModel);
  const copy = decodeModel(fp32);
  await quantize(copy, { mode: 'dynamic' });
  const quantized = encodeModel(copy);
  const sessions = [await session(fp32), await session(quantized), await session(readFileSync(peerPath))];
  const [f, q, p] = await timeInterleaved(sessions, feeds, timing);
  const row = (name, t, bytes) => [name, (bytes / 1e6).toFixed(1), t.median.toFixed(1), `${t.p10.toFixed(1)}–${t.p90.toFixed(1)}`, (f.median / t.median).toFixed(2)];
  console.log(`\n#### ${title}\n`);
  console.log(table(['model', 'MB', 'ms (median)', 'p10–p90', 'speed-up vs fp32'], [row('fp32', f, fp32.byteLength), row('lowbit dynamic', q, quantized.byteLength), row('peer (onnxruntime Python, dynamic)', p, readFileSync(peerPath).byteLength)]));
}

console.log(`### Dynamic int8 speed, median of ${runs} interleaved runs\n`);
console.log(`Machine: ${machine()}; onnxruntime-node 1.30, CPU, 2 threads. Command: \`node bench/quantize-speed.mjs ${runs}\``);
const mailwoman = requireModel('mailwoman-en-us');
await compare('mailwoman transformer (batch 1, 128 tokens)', mailwoman, await fp32Of(mailwoman), { batch: 1, sequence: 128 }, { runs: runs * 3, warmup: 3 });
const isnet = requireModel('imgly-isnet-medium');
await compare('ISNet 1024×1024 (convolutions stay float in dynamic mode)', requireModel('imgly-isnet-small'), await fp32Of(isnet), {}, { runs, warmup: 1 });
