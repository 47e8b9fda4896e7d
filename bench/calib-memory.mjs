// Calibration memory stays flat: the same calibration on 50 and on 500 samples must peak (process
// RSS) within 10%. Model: a generated stack of 6 × (Conv 1×1 64→64 + Relu) on 1×64×256×256, every
// Conv and Relu output observed (13 tensors of 16 MiB per sample, 208 MiB per run). Each run is a
// fresh process, so one cannot inherit the other's heap.
//   node bench/calib-memory.mjs [method ...]        (default: minmax entropy)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { calibrate } from '../dist/calib/calibrate.js';
import { createNodeRunner } from '../dist/index-node.js';
import { machine, table, mb } from './lib.mjs';
import { convStack, generatedSource, observedTensors, peakRss, sampleRss } from './calib-lib.mjs';

const SHAPE = [1, 64, 256, 256];

if (process.argv[2] === '--child') {
  const [, , , method, samplesArg] = process.argv;
  const samples = Number(samplesArg);
  const model = convStack({ channels: 64, size: 256, layers: 6, kernel: 1 });
  const names = observedTensors(model, ['Conv', 'Relu']);
  const rss = sampleRss();
  const t = performance.now();
  const result = await calibrate(model, names, generatedSource('x', SHAPE, samples), (bytes) => createNodeRunner(bytes, { threads: 2 }), { method });
  const seconds = (performance.now() - t) / 1000;
  const sampled = rss.stop();
  console.log(JSON.stringify({ method, samples: result.samples, groups: result.groups, tensors: names.length, seconds, sampled, hwm: peakRss(), timings: result.timingsMs }));
  process.exit(0);
}

const methods = process.argv.slice(2).length ? process.argv.slice(2) : ['minmax', 'entropy'];
const script = fileURLToPath(import.meta.url);
const rows = [];
for (const method of methods) {
  const runs = [50, 500].map((n) => JSON.parse(execFileSync(process.execPath, [script, '--child', method, String(n)], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').at(-1)));
  const [few, many] = runs;
  for (const r of runs) rows.push([method, r.samples, r.seconds.toFixed(0), mb(r.sampled), mb(r.hwm), r === many ? `${(many.sampled / few.sampled).toFixed(3)} / ${(many.hwm / few.hwm).toFixed(3)}` : '']);
  console.error(`${method}: 50 → ${mb(few.hwm)} MB, 500 → ${mb(many.hwm)} MB`);
}
console.log(`### Calibration memory: 6 × (Conv 1×1 64→64 + Relu) on ${SHAPE.join('×')}, 13 tensors observed (208 MiB of outputs per run)\n`);
console.log(`Machine: ${machine()}; onnxruntime-node, 2 threads. Command: \`node bench/calib-memory.mjs ${methods.join(' ')}\`\n`);
console.log(table(['method', 'samples', 's', 'peak RSS sampled (MB)', 'peak RSS, kernel VmHWM (MB)', '500 / 50 (sampled / VmHWM)'], rows));
const perRun = 13 * SHAPE.reduce((a, b) => a * b, 4);
console.log(`\nKeeping every output until the end, as onnxruntime's Python calibrator does, would need ${(500 * perRun / 2 ** 30).toFixed(0)} GiB for 500 samples (${(perRun / 2 ** 20).toFixed(0)} MiB per sample).`);
