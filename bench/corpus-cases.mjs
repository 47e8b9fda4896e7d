// The corpus detectors that bench/static-int8-corpus.mjs and bench/output-stability.mjs run, with
// their photos and preprocessing.
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS } from './lib.mjs';

/** The corpus photos (.corpus/data/photos). */
export const PHOTOS = join(CORPUS, 'data', 'photos');

/** PHOTOS, or the benchmark skips (as requireModel does for a model) when they were not fetched. */
export function requirePhotos() {
  if (!existsSync(PHOTOS)) {
    console.error(`skip: the corpus photos are absent (${PHOTOS}, Debian python3-skimage); run \`npm run corpus\``);
    process.exit(0);
  }
  return PHOTOS;
}

/** A new folder under `work` holding copies of the named corpus photos (a calibration or held-out set). */
export function photoFolder(work, names) {
  requirePhotos();
  const dir = mkdtempSync(join(work, 'photos-'));
  for (const n of names) copyFileSync(join(PHOTOS, n), join(dir, n));
  return dir;
}

// The same models, photos and preprocessing as test/corpus-static-int8.test.ts.
// det also runs with its backbone's Convs kept float by a hand-given --exclude: onnxruntime's
// profile shows its depthwise and stem Convs slower in int8 than in float on AVX2 without VNNI, and
// every backbone Conv sits between hardswishes that run in float, so each pays a DequantizeLinear
// and a QuantizeLinear (--float-where-faster finds such a split by itself from onnxruntime's
// profiles). BlazeFace (back) runs all int8 and --float-where-faster: a model int8 makes slower here.
export const DET_BACKBONE = Array.from({ length: 46 }, (_, i) => `p2o.Conv.${i}`).join(',');
export const CASES = [
  { id: 'ppocrv4-det', preprocess: 'resize=384x192,mean=0.485/0.456/0.406,std=0.229/0.224/0.225', calib: 'text-pages', method: 'entropy', held: ['page.png'], extra: [{ label: 'backbone Convs (p2o.Conv.0–45) float by --exclude', args: ['--exclude', DET_BACKBONE] }] },
  { id: 'mlsd-320-large', preprocess: 'scale=1', calib: ['coffee.png', 'astronaut.png', 'rocket.jpg', 'page.png'], method: 'minmax', held: ['chelsea.png', 'motorcycle_left.png'] },
  { id: 'blazeface-back-256', preprocess: 'mean=0.5,std=0.5', calib: ['coffee.png', 'astronaut.png', 'rocket.jpg', 'motorcycle_right.png'], method: 'minmax', held: ['chelsea.png', 'motorcycle_left.png'], only: ['all int8', '--float-where-faster'] },
];
