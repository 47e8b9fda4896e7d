// Static int8 (QDQ) against fp32 and against the peer, side by side in one run (onnxruntime-node,
// CPU, 2 threads, interleaved runs, medians):
//   · a plain conv stack (4× Conv 64→64 3×3 + Relu on 1×64×128×128): what int8 buys on this processor;
//   · ISNet 1024×1024: fp32 (imgly medium → fp32) vs lowbit int8 (calibrated on 5 corpus photos)
//     vs the peer's `small` (onnxruntime's Python dynamic quantizer), with mask fidelity against
//     fp32 on 2 held-out photos (mean abs error, IoU of the mask thresholded at 0.5).
//   node bench/static-int8.mjs [runs]
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder, DataType, float32Tensor, attr, encodeModel, decodeModel, quantize, readModelFile, convertToFloat32, openSource, nodeCalibrator, generateInputs } from '../dist/index-node.js';
import { parsePreprocess } from '../dist/data/preprocess.js';
import { hasInt8DotProduct } from '../dist/node/cpu.js';
import { CORPUS, machine, requireModel, table, benchTempDir } from './lib.mjs';
import { session, tensor, timeInterleaved } from './ort.mjs';

const runs = Number(process.argv[2] ?? 6);
const reduceRange = hasInt8DotProduct() === false;
console.log(`### Static int8 (QDQ), median of interleaved runs\n`);
console.log(`Machine: ${machine()}; int8 dot product (VNNI): ${hasInt8DotProduct() ?? 'unknown'}; weights ${reduceRange ? '7-bit (--reduce-range, the default without VNNI)' : '8-bit'}; onnxruntime-node 1.30, CPU, 2 threads. Command: \`node bench/static-int8.mjs ${runs}\`\n`);

// 1. The conv stack: the ceiling of int8 speed on this processor.
{
  const C = 64, H = 128;
  let s = 42;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const b = new GraphBuilder(13);
  let h = b.input('x', DataType.FLOAT, [1, C, H, H]);
  for (let i = 0; i < 4; i++) {
    const w = b.initializer(`w${i}`, float32Tensor([C, C, 3, 3], Float32Array.from({ length: C * C * 9 }, () => rand() * 0.05)));
    const bias = b.initializer(`b${i}`, float32Tensor([C], Float32Array.from({ length: C }, () => rand() * 0.1)));
    h = b.op('Relu', [b.op('Conv', [h, w, bias], { attributes: { pads: attr.ints([1, 1, 1, 1]) } })]);
  }
  b.output(h, DataType.FLOAT, [1, C, H, H]);
  const fp32 = encodeModel(b.model);
  const model = decodeModel(fp32);
  const samples = Array.from({ length: 4 }, (_, k) => generateInputs(model, { seed: k }));
  const source = { label: 'random', size: samples.length, async *samples() { yield* samples; } };
  await quantize(model, { mode: 'int8', reduceRange, calibrate: nodeCalibrator(source, { method: 'minmax' }) });
  const x = samples[0].x;
  const [f, q] = await timeInterleaved([await session(fp32), await session(encodeModel(model))], { x: tensor('float32', x.dims, x.data) }, { runs: runs * 3 });
  console.log('#### 4× Conv 64→64 3×3 + Relu on 1×64×128×128\n');
  console.log(table(['model', 'ms (median)', 'p10–p90', 'speed-up vs fp32'], [['fp32', f.median.toFixed(1), `${f.p10.toFixed(1)}–${f.p90.toFixed(1)}`, '1.00'], ['lowbit int8 (QDQ)', q.median.toFixed(1), `${q.p10.toFixed(1)}–${q.p90.toFixed(1)}`, (1 / q.ratio).toFixed(2)]]));
}

// 2. ISNet on photos.
const medium = requireModel('imgly-isnet-medium');
const small = requireModel('imgly-isnet-small');
const photos = join(CORPUS, 'data', 'photos');
const folder = (names) => {
  const dir = benchTempDir('bench-photos');
  for (const n of names) copyFileSync(join(photos, n), join(dir, n));
  return dir;
};
const calib = folder(['astronaut.png', 'coffee.png', 'rocket.jpg', 'motorcycle_right.png', 'retina.jpg']);
const held = folder(['chelsea.png', 'motorcycle_left.png']);
const preprocess = parsePreprocess('mean=0.5,std=1');
const float = readModelFile(medium).model;
convertToFloat32(float);
const fp32 = encodeModel(float);
// Two calibration methods: minmax (the CLI's default) and entropy (KL divergence over histograms,
// which clips the rare extreme activations and suits ISNet's features best).
const METHODS = ['minmax', 'entropy'];
const quantized = [];
for (const method of METHODS) {
  const model = decodeModel(fp32);
  const t0 = performance.now();
  await quantize(model, { mode: 'int8', reduceRange, calibrate: nodeCalibrator(openSource(calib, model, { preprocess }), { method }) });
  quantized.push({ method, bytes: encodeModel(model), seconds: (performance.now() - t0) / 1000 });
}
const peer = readFileSync(small);
const sessions = [await session(fp32), ...(await Promise.all(quantized.map((q) => session(q.bytes)))), await session(peer)];
const heldSamples = [];
for await (const feeds of openSource(held, float, { preprocess }).samples()) heldSamples.push(feeds);
const masks = sessions.map(() => []);
for (const feeds of heldSamples) {
  for (let i = 0; i < sessions.length; i++) masks[i].push((await sessions[i].run({ input: tensor('float32', feeds.input.dims, feeds.input.data) })).output.data);
}
const fidelity = (k) => {
  let abs = 0, n = 0, inter = 0, union = 0;
  masks[0].forEach((ref, s) => {
    const c = masks[k][s];
    for (let i = 0; i < ref.length; i++) {
      abs += Math.abs(ref[i] - c[i]);
      const a = ref[i] >= 0.5, b = c[i] >= 0.5;
      if (a && b) inter++;
      if (a || b) union++;
    }
    n += ref.length;
  });
  return [(abs / n).toFixed(5), (inter / union).toFixed(5)];
};
const x = heldSamples[0].input;
const [f, ...others] = await timeInterleaved(sessions, { input: tensor('float32', x.dims, x.data) }, { runs, warmup: 1 });
const row = (name, t, bytes, fid) => [name, (bytes / 1e6).toFixed(1), t.median.toFixed(0), `${t.p10.toFixed(0)}–${t.p90.toFixed(0)}`, (1 / t.ratio).toFixed(2), ...fid];
console.log('\n#### ISNet 1024×1024 (imgly), masks on 2 held-out photos\n');
console.log(table(['model', 'MB', 'ms (median)', 'p10–p90', 'speed-up vs fp32', 'mask MAE vs fp32', 'mask IoU vs fp32'], [
  row('fp32 (medium → fp32)', f, fp32.byteLength, ['0', '1']),
  ...quantized.map((q, i) => row(`lowbit int8, ${q.method} on 5 photos`, others[i], q.bytes.byteLength, fidelity(i + 1))),
  row('peer: onnxruntime Python dynamic (`small`)', others.at(-1), peer.byteLength, fidelity(sessions.length - 1)),
]));
console.log(`\nQuantizing ISNet (calibration on 5 photos included) took ${quantized.map((q) => `${q.seconds.toFixed(0)} s with ${q.method}`).join(', ')}.`);
