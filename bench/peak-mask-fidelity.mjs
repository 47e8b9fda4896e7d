// mlsd's scores, a peak mask (`heat · (heat == MaxPool(heat))`), on every corpus photo that its
// calibration does not use: how close each quantized form keeps them to fp32, read three ways —
// the plain cosine (a peak one pixel away counts as one lost and one found), the cosine with peaks
// matched within a pixel (the same detections?), and the cosine of the heat map the peaks come
// from — beside the line offsets and the speed. Each form is made and verified by `lowbit quantize
// --json` as users run it (the figures are the command's own); then fp32 and the forms are timed
// side by side (onnxruntime-node, CPU, 2 threads, interleaved runs, medians).
// bench/output-stability.mjs gives fp32's own figures under sub-pixel input noise, the floor.
//   node bench/peak-mask-fidelity.mjs [runs]
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasInt8DotProduct, openSource, readModelFile } from '../dist/index-node.js';
import { parsePreprocess } from '../dist/data/preprocess.js';
import { REPO, benchTempDir, machine, requireModel, table } from './lib.mjs';
import { session, tensor, timeInterleaved } from './ort.mjs';
import { CASES, PHOTOS, photoFolder, requirePhotos } from './corpus-cases.mjs';

const runs = Number(process.argv[2] ?? 11);
const mlsd = CASES.find((c) => c.id === 'mlsd-320-large');
const work = benchTempDir('bench-peak-mask');
const path = requireModel(mlsd.id);
const calib = photoFolder(work, mlsd.calib);
const others = readdirSync(requirePhotos()).filter((p) => !mlsd.calib.includes(p)).sort();
const held = photoFolder(work, others);

const calibrated = ['--calib', calib, '--calib-method', mlsd.method];
/** weights-int8 takes no activation ranges: its --calib feeds GPTQ and the bias correction only. */
const weightsCalibrated = ['--calib', calib];
const FORMS = [
  { label: 'fp16', args: ['--mode', 'fp16'] },
  { label: 'weights-int8, --weight-method gptq --bias-correction (activations float)', args: ['--mode', 'weights-int8', ...weightsCalibrated, '--weight-method', 'gptq', '--bias-correction'] },
  { label: 'int8, all int8', args: ['--mode', 'int8', ...calibrated] },
  { label: 'int8, all int8, --weight-method gptq --bias-correction', args: ['--mode', 'int8', ...calibrated, '--weight-method', 'gptq', '--bias-correction'] },
  { label: 'int8, --target-cosine 0.98 --weight-method gptq', args: ['--mode', 'int8', ...calibrated, '--target-cosine', '0.98', '--weight-method', 'gptq'] },
];

const made = [];
for (const [i, form] of FORMS.entries()) {
  const out = join(work, `mlsd-${i}.onnx`);
  process.stderr.write(`peak-mask-fidelity: ${form.label}\n`);
  const r = spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), 'quantize', path, '-o', out, '--data', held, '--preprocess', mlsd.preprocess, ...form.args, '--no-timing', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`quantize ${form.label} failed: ${r.stderr}`);
  made.push({ ...form, out, verify: JSON.parse(r.stdout).verify });
}

const float = readModelFile(path).model;
const first = (await openSource(held, float, { preprocess: parsePreprocess(mlsd.preprocess), limit: 1 }).samples().next()).value;
const feeds = Object.fromEntries(Object.entries(first).map(([k, t]) => [k, tensor('float32', t.dims, t.data)]));
const sessions = [await session(readFileSync(path)), ...(await Promise.all(made.map((m) => session(readFileSync(m.out)))))];
const [fp32, ...timed] = await timeInterleaved(sessions, feeds, { runs, warmup: 2 });

const figure = (x) => (x === undefined ? '—' : x.toFixed(4));
const rows = [['fp32', '1.0000', '1.0000', '1.0000', '1.0000', fp32.median.toFixed(1), '1.00']];
made.forEach((m, i) => {
  const offsets = m.verify.outputs.find((o) => o.name === 'offsets');
  const scores = m.verify.outputs.find((o) => o.name === 'scores');
  rows.push([m.label, figure(offsets?.cosine), figure(scores?.cosine), figure(scores?.peakMatchCosine), figure(scores?.peakMap?.cosine), timed[i].median.toFixed(1), (1 / timed[i].ratio).toFixed(2)]);
});

const vnni = hasInt8DotProduct();
console.log(`### mlsd-320-large's scores (a peak mask) on the ${others.length} corpus photos not calibrated on, median of ${runs} interleaved runs\n`);
console.log(`Machine: ${machine()}; int8 dot product (VNNI): ${vnni}; onnxruntime-node, CPU, 2 threads; the CLI's defaults (weights ${vnni === false ? '7-bit, as without VNNI' : '8-bit'}). Command: \`node bench/peak-mask-fidelity.mjs ${runs}\`\n`);
console.log(`Calibrated (${mlsd.method}) on ${mlsd.calib.join(', ')}; verified by \`lowbit quantize --data\` on the other ${others.length} photos, cosine against fp32 pooled over them. "peaks within a pixel": the scores' cosine with each peak allowed to move by one pixel; "map": the heat map whose local maxima the scores keep. fp32 under ± half an 8-bit pixel step of input noise: bench/output-stability.mjs.\n`);
console.log(table(['form', 'offsets', 'scores', 'scores, peaks within a pixel', 'scores\' map', 'ms (median)', 'speed-up vs fp32'], rows));
