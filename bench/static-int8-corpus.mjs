// Static int8 on PaddleOCR text detection and mlsd (line detection), as users run it: `lowbit
// quantize --mode int8` all int8 and with `--target-cosine 0.98` (the costliest layers kept in float
// until the calibration outputs reach 0.98, then handed back while slower than fp32), verified on
// held-out photos (cosine per output against fp32, from the command's own --json), then fp32 and
// the int8 models timed side by side (onnxruntime-node, CPU, 2 threads, interleaved runs, medians).
// det is calibrated on synthetic printed pages (the corpus photos hold almost no text) with
// entropy, and checked on the scanned page.png; mlsd on photos with minmax. Each setting runs with
// weights rounded to nearest (the default) and with --weight-method gptq; all int8 also with
// --bias-correction.
//   node bench/static-int8-corpus.mjs [runs] [targets, comma-separated: default 0.98]
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasInt8DotProduct, openSource, readModelFile } from '../dist/index-node.js';
import { parsePreprocess } from '../dist/data/preprocess.js';
import { CORPUS, REPO, machine, requireModel, table, benchTempDir } from './lib.mjs';
import { writeTextPages } from './text-pages.mjs';
import { session, tensor, timeInterleaved } from './ort.mjs';

const runs = Number(process.argv[2] ?? 15);
const photos = join(CORPUS, 'data', 'photos');
const work = benchTempDir('bench-static');
const folder = (names) => {
  const dir = mkdtempSync(join(work, 'photos-'));
  for (const n of names) copyFileSync(join(photos, n), join(dir, n));
  return dir;
};

// The same models, photos and preprocessing as test/corpus-static-int8.test.ts.
// det also runs with its backbone's Convs kept float by a hand-given --exclude: onnxruntime's
// profile shows its depthwise and stem Convs slower in int8 than in float on AVX2 without VNNI, and
// every backbone Conv sits between hardswishes that run in float, so each pays a DequantizeLinear
// and a QuantizeLinear (--float-where-faster finds such a split by itself from onnxruntime's
// profiles). BlazeFace (back) runs all int8 and --float-where-faster: a model int8 makes slower here.
const DET_BACKBONE = Array.from({ length: 46 }, (_, i) => `p2o.Conv.${i}`).join(',');
const CASES = [
  { id: 'ppocrv4-det', preprocess: 'resize=384x192,mean=0.485/0.456/0.406,std=0.229/0.224/0.225', calib: 'text-pages', method: 'entropy', held: ['page.png'], extra: [{ label: 'backbone Convs (p2o.Conv.0–45) float by --exclude', args: ['--exclude', DET_BACKBONE] }] },
  { id: 'mlsd-320-large', preprocess: 'scale=1', calib: ['coffee.png', 'astronaut.png', 'rocket.jpg', 'page.png'], method: 'minmax', held: ['chelsea.png', 'motorcycle_left.png'] },
  { id: 'blazeface-back-256', preprocess: 'mean=0.5,std=0.5', calib: ['coffee.png', 'astronaut.png', 'rocket.jpg', 'motorcycle_right.png'], method: 'minmax', held: ['chelsea.png', 'motorcycle_left.png'], only: ['all int8', '--float-where-faster'] },
];
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
    const cosines = v.json.verify.outputs.map((o) => `${o.name}: ${o.cosine.toFixed(4)}`).join(', ');
    const kept = v.json.skipped.length;
    rows.push([c.id, `int8 (${c.method}), ${v.label}`, cosines, qs[i].median.toFixed(1), (1 / qs[i].ratio).toFixed(2), String(kept), v.seconds.toFixed(0)]);
  });
}
console.log(`### Static int8 on PaddleOCR det, mlsd and BlazeFace, median of ${runs} interleaved runs\n`);
const vnni = hasInt8DotProduct();
console.log(`Machine: ${machine()}; int8 dot product (VNNI): ${vnni}; onnxruntime-node, CPU, 2 threads; the CLI's defaults (weights ${vnni === false ? '7-bit, as without VNNI' : '8-bit'}). Command: \`node bench/static-int8-corpus.mjs ${runs}${process.argv[3] ? ` ${process.argv[3]}` : ''}\`\n`);
console.log(table(['model', 'form', 'cosine vs fp32 on held-out photos', 'ms (median)', 'speed-up vs fp32', 'nodes left in float', 'quantize s'], rows));
