// Records what --float-where-faster measures on PaddleOCR det on this machine (onnxruntime's
// per-node profiles of every round, and the closing whole-model timing), as the CLI measures it,
// into test/fixtures/ppocrv4-det-profiles.json. The corpus test replays the recording, so that the
// choice it made here, and the fidelity that choice gives, are checked on any machine; the live CLI
// test checks the measuring itself. Rerun after a change to the quantizer's node names or to
// onnxruntime:  npm run build && node tools/record-det-profiles.mjs
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, machine, requireModel } from '../bench/lib.mjs';
import { writeTextPages } from '../bench/text-pages.mjs';
import { readModelFile } from '../dist/node/model-files.js';
import { openSource } from '../dist/node/data-sources.js';
import { nodeCalibrator } from '../dist/node/calibrator.js';
import { parsePreprocess } from '../dist/data/preprocess.js';
import { encodeModel } from '../dist/serde/encode.js';
import { createNodeRunner } from '../dist/runner/ort-node.js';
import { profileNodeTimesSideBySide } from '../dist/runner/ort-profile.js';
import { latencyRatiosMeasure } from '../dist/eval/output-cosine.js';
import { quantizeWhereFaster, SPEED_CHOICE_MEASURING } from '../dist/quantize/static/speed-choice.js';
import { hasInt8DotProduct } from '../dist/node/cpu.js';

// The same calibration and measuring as test/corpus-static-int8.test.ts's CLI run of det.
const PREPROCESS = 'resize=384x192,mean=0.485/0.456/0.406,std=0.229/0.224/0.225';
const OUT = join(REPO, 'test/fixtures/ppocrv4-det-profiles.json');
/** Milliseconds to the microsecond: finer than two profiles agree on, and a file a fifth the size. */
const rounded = (times) => Object.fromEntries([...times].map(([name, ms]) => [name, Math.round(ms * 1000) / 1000]));

const path = requireModel('ppocrv4-det');
if (hasInt8DotProduct() !== false) {
  console.error('record-det-profiles: this processor has 8-bit dot products (VNNI) or cannot be read; the recording is of AVX2 without VNNI, where the CLI uses 7-bit weights');
  process.exit(2);
}
const pages = await writeTextPages(mkdtempSync(join(tmpdir(), 'lowbit-pages-')), 4);
try {
  const load = () => readModelFile(path).model;
  const source = openSource(pages, load(), { preprocess: parsePreprocess(PREPROCESS) });
  let feeds;
  for await (const f of source.samples()) {
    feeds = f;
    break;
  }
  const { threads, runs, maxRuns, budgetMs, latencyRuns } = SPEED_CHOICE_MEASURING;
  const rounds = [];
  const profile = async (models) => {
    const maps = await profileNodeTimesSideBySide(models.map(encodeModel), feeds, { threads, runs, maxRuns, budgetMs });
    rounds.push({ float: rounded(maps[0]), int8: rounded(maps[1]) });
    return maps;
  };
  const measure = latencyRatiosMeasure(load(), feeds, (bytes) => createNodeRunner(bytes, { threads }), latencyRuns);
  let latencyRatios;
  const found = await quantizeWhereFaster(load, { mode: 'int8', reduceRange: true, calibrate: nodeCalibrator(source, { method: 'entropy' }) }, {
    profile,
    latencyRatios: async (models) => (latencyRatios = await measure(models)),
    onProgress: (line) => console.error(line),
  });
  const recording = {
    about: 'What lowbit quantize --float-where-faster measured on PaddleOCR det (ppocrv4-det, calibrated on 4 text pages, entropy, 7-bit weights): onnxruntime per-node milliseconds per run for each round [float, int8], and the whole-model latency over float of [all int8, mix]. Written by tools/record-det-profiles.mjs.',
    machine: machine(),
    kept: found.kept.map((k) => k.node),
    mixDropped: found.mixDropped,
    rounds,
    latencyRatios,
  };
  writeFileSync(`${OUT}.tmp`, `${JSON.stringify(recording)}\n`);
  renameSync(`${OUT}.tmp`, OUT);
  console.error(`record-det-profiles: ${found.kept.length} Conv(s) kept in float over ${rounds.length} round(s); whole model ${latencyRatios?.map((r) => r.toFixed(3)).join(' (all int8) vs ')} (mix) × float; written to ${OUT}`);
} finally {
  rmSync(pages, { recursive: true, force: true });
}
