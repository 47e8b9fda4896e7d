// Speed of quantized models against their float form, side by side in one run (onnxruntime-node,
// CPU, 2 threads, interleaved runs, medians):
//   · mailwoman (peer's dynamic-int8 transformer, turned back to fp32 by `convert --to fp32`),
//     batch 1 × 128 tokens: fp32 vs lowbit dynamic vs the peer's own quantized file; then the same
//     one session at a time with onnxruntime's defaults, at one thread, and with thread spinning
//     off, for comparison;
//   · ISNet 1024×1024: fp32 (imgly medium → fp32) vs lowbit dynamic vs the peer's `small`.
//   node bench/quantize-speed.mjs [runs]
import { readFileSync } from 'node:fs';
import { readModelFile, encodeModel, decodeModel, convertToFloat32, quantize, generateInputs, DataType, hasInt8DotProduct } from '../dist/index-node.js';
import { machine, median, requireModel, table } from './lib.mjs';
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

/**
 * The models timed for one case, as [name, bytes] pairs: fp32, lowbit's dynamic output (per-channel
 * weight scales, except weights already on one int8 grid, kept per tensor: all of mailwoman's
 * MatMul weights, the peer's int8 dequantized) and the peer's file.
 */
async function modelsOf(floatModel, peerPath) {
  const fp32 = encodeModel(floatModel);
  const quantizedWith = async (options) => {
    const copy = decodeModel(fp32);
    await quantize(copy, { mode: 'dynamic', ...options });
    return encodeModel(copy);
  };
  return [['fp32', fp32], ['lowbit dynamic', await quantizedWith({})], ['peer (onnxruntime Python, dynamic)', readFileSync(peerPath)]];
}

const HEADER = ['model', 'MB', 'ms (median)', 'p10–p90', 'speed-up vs fp32 (paired)'];
const row = ([name, bytes], t) => [name, (bytes.byteLength / 1e6).toFixed(1), t.median.toFixed(1), `${t.p10.toFixed(1)}–${t.p90.toFixed(1)}`, (1 / t.ratio).toFixed(2)];

/** Times the models side by side (interleaved runs, all sessions open); returns the speed-ups of lowbit's and the peer's. */
async function compare(title, models, feeds, timing, { threads = 2, spinning = 'during-runs' } = {}) {
  const sessions = [];
  for (const [, bytes] of models) sessions.push(await session(bytes, threads, spinning));
  const timings = await timeInterleaved(sessions, feeds, timing);
  await Promise.all(sessions.map((s) => s.release()));
  console.log(`\n#### ${title}\n`);
  console.log(table(HEADER, models.map((m, i) => row(m, timings[i]))));
  return { ours: 1 / timings[1].ratio, peer: 1 / timings[2].ratio };
}

/**
 * As a user's process runs a model: one session open at a time, with onnxruntime's own defaults
 * (threads keep spinning after a run, which is harmless with nothing else open). Blocks of `runs`
 * runs per model, the models taking turns (A B C, C B A, …); a block's median is its figure, and
 * each model's speed-up is the median over the turns of fp32's block over its own.
 */
async function compareAlone(title, models, feeds, { blocks, runs, threads = 2 }) {
  const medians = models.map(() => []);
  const all = models.map(() => []);
  for (let b = 0; b < blocks; b++) {
    const order = b % 2 === 0 ? [...models.keys()] : [...models.keys()].reverse();
    for (const i of order) {
      const s = await session(models[i][1], threads, 'always');
      for (let w = 0; w < 3; w++) await s.run(feeds);
      const times = [];
      for (let r = 0; r < runs; r++) {
        const start = performance.now();
        await s.run(feeds);
        times.push(performance.now() - start);
      }
      await s.release();
      medians[i].push(median(times));
      all[i].push(...times);
    }
  }
  const sorted = (xs) => [...xs].sort((a, c) => a - c);
  const at = (xs, q) => sorted(xs)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
  const timings = models.map((_, i) => ({ median: median(all[i]), p10: at(all[i], 0.1), p90: at(all[i], 0.9), ratio: median(medians[i].map((m, b) => m / medians[0][b])) }));
  console.log(`\n#### ${title}\n`);
  console.log(table(HEADER, models.map((m, i) => row(m, timings[i]))));
}

/** Prints whether a speed-up meets issue 3's bar; returns whether it does. */
function bar(what, speedUp, atLeast) {
  const met = speedUp >= atLeast;
  console.log(`- ${what}: ${speedUp.toFixed(2)}× fp32's speed, bar ≥ ${atLeast.toFixed(2)}×: ${met ? 'met' : 'MISSED'}`);
  return met;
}

console.log(`### Dynamic int8 speed: medians of interleaved runs (${runs * 10} rounds for mailwoman, ${runs} for ISNet); speed-ups are medians of per-round ratios\n`);
console.log(`Machine: ${machine()}; int8 dot product (VNNI): ${hasInt8DotProduct()}; onnxruntime-node 1.30, CPU, 2 threads, worker threads spinning during runs (stopped when a run returns). Command: \`node bench/quantize-speed.mjs ${runs}\``);
const mailwoman = requireModel('mailwoman-en-us');
const mailwomanFp32 = await fp32Of(mailwoman);
const tokens = ortFeeds(generateInputs(mailwomanFp32, { dims: { batch: 1, sequence: 128 }, seed: 3 }));
const mailwomanModels = await modelsOf(mailwomanFp32, mailwoman);
// mailwoman runs in tens of milliseconds, so it gets ten times the rounds
const mailwomanTiming = { runs: runs * 10, warmup: 3 };
const m = await compare('mailwoman transformer (batch 1, 128 tokens)', mailwomanModels, tokens, mailwomanTiming);
// The same one model at a time with onnxruntime's defaults, as a user's process runs it: no other
// session's threads around, so nothing for lowbit's spinning setting to guard against.
await compareAlone('mailwoman transformer (batch 1, 128 tokens), one session open at a time, onnxruntime\'s default spinning (for comparison)', mailwomanModels, tokens, { blocks: Math.max(3, Math.round(runs / 3)), runs: 30 });
// At one thread: what the int8 kernels buy without a second thread.
await compare('mailwoman transformer (batch 1, 128 tokens), 1 thread (for comparison; the bar is at 2)', mailwomanModels, tokens, mailwomanTiming, { threads: 1 });
// And at 2 threads with spinning off (lowbit's default before 2026-11-29): each parallel section
// then wakes the worker thread, which costs the int8 model's many small ops more than fp32's.
await compare('mailwoman transformer (batch 1, 128 tokens), 2 threads, spinning off (for comparison)', mailwomanModels, tokens, mailwomanTiming, { spinning: 'off' });
const isnetFp32 = await fp32Of(requireModel('imgly-isnet-medium'));
const image = ortFeeds(generateInputs(isnetFp32, { seed: 3 }));
const i = await compare('ISNet 1024×1024 (convolutions stay float in dynamic mode)', await modelsOf(isnetFp32, requireModel('imgly-isnet-small')), image, { runs, warmup: 1 });
console.log('');
const met = [bar('mailwoman, lowbit dynamic', m.ours, 1.6), bar('ISNet, lowbit dynamic (never slower than fp32, 5% noise)', i.ours, 0.95)];
process.exit(met.every(Boolean) ? 0 : 1);
