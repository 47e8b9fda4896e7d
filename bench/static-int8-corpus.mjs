// Static int8 on PaddleOCR text detection and mlsd (line detection), as users run it: `lowbit
// quantize --mode int8` all int8 and with `--target-cosine 0.98` (the costliest layers kept in float
// until the calibration outputs reach 0.98, then handed back while slower than fp32), verified on
// held-out photos (cosine per output against fp32, from the command's own --json; for mlsd's scores,
// a peak mask, also with peaks matched within a pixel), then fp32 and
// the int8 models timed side by side (onnxruntime-node, CPU, 2 threads, interleaved runs, medians).
// det is calibrated on synthetic printed pages (the corpus photos hold almost no text) with
// entropy, and checked on the scanned page.png; mlsd on photos with minmax. Each setting runs with
// weights rounded to nearest (the default) and with --weight-method gptq; all int8 also with
// --bias-correction.
//   node bench/static-int8-corpus.mjs [runs] [targets, comma-separated: default 0.98]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasInt8DotProduct, openSource, readModelFile } from '../dist/index-node.js';
import { parsePreprocess } from '../dist/data/preprocess.js';
import { REPO, machine, requireModel, table, benchTempDir } from './lib.mjs';
import { writeTextPages } from './text-pages.mjs';
import { session, tensor, timeInterleaved } from './ort.mjs';
import { CASES, photoFolder } from './corpus-cases.mjs';

const runs = Number(process.argv[2] ?? 15);
const work = benchTempDir('bench-static');
const folder = (names) => photoFolder(work, names);

const targets = (process.argv[3] ?? '0.98').split(',');
/** Settings compared: all int8, and with each fidelity target; weights rounded to nearest and by GPTQ. */
const VARIANTS = [
  { label: 'all int8', args: [] },
  { label: 'all int8, --weight-method gptq', args: ['--weight-method', 'gptq'] },
  { label: 'all int8, --bias-correction', args: ['--bias-correction'] },
  { label: '--float-where-faster', args: ['--float-where-faster'] },
  ...targets.flatMap((t) => [
    { label: `--target-cosine ${t}`, args: ['--target-cosine', t] },
    { label: `--target-cosine ${t} --weight-method gptq`, args: ['--target-cosine', t, '--weight-method', 'gptq'] },
  ]),
];

const rows = [];
for (const c of CASES) {
  const path = requireModel(c.id);
  const calib = c.calib === 'text-pages' ? await writeTextPages(mkdtempSync(join(work, 'pages-')), 4) : folder(c.calib);
  const held = folder(c.held);
  const variants = [];
  for (const v of [...VARIANTS.filter((x) => !c.only || c.only.includes(x.label)), ...(c.extra ?? [])]) {
    const out = join(work, `${c.id}-${variants.length}.onnx`);
    const t = performance.now();
    const r = spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), 'quantize', path, '-o', out, '--mode', 'int8', '--calib', calib, '--data', held, '--preprocess', c.preprocess, '--calib-method', c.method, ...v.args, '--no-timing', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`quantize ${c.id} (${v.label}) failed: ${r.stderr}`);
    const json = JSON.parse(r.stdout);
    variants.push({ ...v, out, json, seconds: (performance.now() - t) / 1000 });
  }
  const float = readModelFile(path).model;
  const [first] = await openSource(held, float, { preprocess: parsePreprocess(c.preprocess), limit: 1 }).samples().next().then((x) => [x.value]);
  const feeds = Object.fromEntries(Object.entries(first).map(([k, t]) => [k, tensor('float32', t.dims, t.data)]));
  const sessions = [await session(readFileSync(path)), ...(await Promise.all(variants.map((v) => session(readFileSync(v.out)))))];
  const [f, ...qs] = await timeInterleaved(sessions, feeds, { runs, warmup: 2 });
  rows.push([c.id, 'fp32', '—', f.median.toFixed(1), '1.00', '—', '—']);
  variants.forEach((v, i) => {
    const cosines = v.json.verify.outputs.map((o) => `${o.name}: ${o.cosine.toFixed(4)}${o.peakMatchCosine !== undefined ? ` (peaks matched within a pixel: ${o.peakMatchCosine.toFixed(4)})` : ''}`).join(', ');
    const kept = v.json.skipped.length;
    rows.push([c.id, `int8 (${c.method}), ${v.label}`, cosines, qs[i].median.toFixed(1), (1 / qs[i].ratio).toFixed(2), String(kept), v.seconds.toFixed(0)]);
  });
}
console.log(`### Static int8 on PaddleOCR det, mlsd and BlazeFace, median of ${runs} interleaved runs\n`);
const vnni = hasInt8DotProduct();
console.log(`Machine: ${machine()}; int8 dot product (VNNI): ${vnni}; onnxruntime-node, CPU, 2 threads; the CLI's defaults (weights ${vnni === false ? '7-bit, as without VNNI' : '8-bit'}). Command: \`node bench/static-int8-corpus.mjs ${runs}${process.argv[3] ? ` ${process.argv[3]}` : ''}\`\n`);
console.log(table(['model', 'form', 'cosine vs fp32 on held-out photos', 'ms (median)', 'speed-up vs fp32', 'nodes left in float', 'quantize s'], rows));
