// How far do the corpus detectors' fp32 outputs move when their input photos move by less than one
// pixel step? The floor under which no quantized model's cosine can be read as quantization error.
//
// Each held-out photo (those of bench/static-int8-corpus.mjs) runs through the fp32 model as it is
// and with uniform noise of ± a fraction of one 8-bit pixel step added to every input element (the
// step in the model's input units: preprocess scale / std; with several stds, the smallest step).
// An 8-bit photo is already rounded by half a step, so ± 0.5 is noise every photo carries anyway.
// Cosine per output against the unperturbed run, over all held-out photos as `lowbit quantize`
// verifies; the median over 3 noise draws.
//   node bench/output-stability.mjs
import { readdirSync } from 'node:fs';
import { FidelityAccumulator, PeakMatchAccumulator, openSource, peakMaskGrids, peakMaskMaps, readModelFile } from '../dist/index-node.js';
import { parsePreprocess } from '../dist/data/preprocess.js';
import { seededRandom } from '../dist/util/random.js';
import { benchTempDir, machine, median, requireModel, table } from './lib.mjs';
import { CASES, PHOTOS, photoFolder, requirePhotos } from './corpus-cases.mjs';
import { session, tensor } from './ort.mjs';

const AMPLITUDES = [0.1, 0.25, 0.5];
const DRAWS = 3;
const work = benchTempDir('bench-stability');
const folder = (names) => photoFolder(work, names);
const ALL_PHOTOS = `all ${readdirSync(requirePhotos()).length} corpus photos`;
const cases = [
  ...CASES.map((c) => ({ id: c.id, preprocess: c.preprocess, held: c.held })),
  { id: 'mlsd-320-large', preprocess: 'scale=1', held: ALL_PHOTOS },
];

const rows = [];
for (const c of cases) {
  const path = requireModel(c.id);
  const spec = parsePreprocess(c.preprocess);
  const step = spec.scale / Math.max(...spec.std);
  const model = readModelFile(path).model;
  // Peak masks also get their cosine with peaks matched within a pixel, as verification gives it.
  const grids = peakMaskGrids(model, peakMaskMaps(model));
  const fp32 = await session(path);
  const samples = [];
  for await (const s of openSource(c.held === ALL_PHOTOS ? PHOTOS : folder(c.held), model, { preprocess: spec }).samples()) samples.push(s);
  const reference = [];
  for (const s of samples) reference.push(await fp32.run(feedsOf(s)));
  const figures = [...fp32.outputNames, ...[...grids.keys()].map(matchedName)];
  const cells = new Map(figures.map((o) => [o, []]));
  for (const amplitude of AMPLITUDES) {
    const draws = new Map(figures.map((o) => [o, []]));
    for (let d = 0; d < DRAWS; d++) {
      const random = seededRandom(1000 * d + Math.round(amplitude * 100));
      const accumulators = new Map(fp32.outputNames.map((o) => [o, new FidelityAccumulator()]));
      const matched = new Map([...grids].map(([o, grid]) => [o, new PeakMatchAccumulator(grid)]));
      for (const [i, s] of samples.entries()) {
        const noisy = Object.fromEntries(Object.entries(s).map(([k, t]) => [k, { ...t, data: Float32Array.from(t.data, (x) => x + (2 * random() - 1) * amplitude * step) }]));
        const out = await fp32.run(feedsOf(noisy));
        for (const o of fp32.outputNames) accumulators.get(o).add(reference[i][o].data, out[o].data);
        for (const [o, acc] of matched) acc.add(reference[i][o].data, out[o].data);
      }
      for (const o of fp32.outputNames) draws.get(o).push(accumulators.get(o).result().cosine);
      for (const [o, acc] of matched) draws.get(matchedName(o)).push(acc.cosine());
    }
    for (const o of figures) cells.get(o).push(median(draws.get(o)).toFixed(4));
  }
  for (const o of figures) rows.push([c.id, o, c.held === ALL_PHOTOS ? ALL_PHOTOS : c.held.join(', '), ...cells.get(o)]);
  await fp32.release();
}

console.log('### fp32 outputs under sub-pixel input noise\n');
console.log(`Machine: ${machine()}; onnxruntime-node, CPU. Command: \`node bench/output-stability.mjs\`\n`);
console.log(`Cosine of each fp32 output against itself when every input element moves by uniform noise of ± a fraction of one 8-bit pixel step (median of ${DRAWS} draws; cosine over all the photos named). A quantized output whose cosine is near its ± 0.5 floor differs from fp32 by no more than the photo's own rounding moves it. A peak mask also gets the cosine with each peak allowed to move by one pixel, as verification reports it.\n`);
console.log(table(['model', 'output', 'photos', ...AMPLITUDES.map((a) => `± ${a} step`)], rows));

/** The row of a peak mask's figure with peaks matched within a pixel (eval/peak-match.ts). */
function matchedName(output) {
  return `${output}, peaks matched within a pixel`;
}

function feedsOf(sample) {
  return Object.fromEntries(Object.entries(sample).map(([k, t]) => [k, tensor('float32', t.dims, t.data)]));
}
