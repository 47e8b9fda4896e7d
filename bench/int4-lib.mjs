// Shared by the int4 benchmarks: tinylm's bits per byte on its held-out windows, calibration samples.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../dist/index.js';
import { createNodeRunner } from '../dist/index-node.js';
import { CORPUS, REPO } from './lib.mjs';

export const TINYLM = process.env.LOWBIT_TINYLM_DIR ?? join(REPO, '../shared/models/tinylm');

export function requireTinylm() {
  if (!existsSync(join(TINYLM, 'model.onnx'))) {
    console.error(`skip: tinylm is absent (${TINYLM}); set LOWBIT_TINYLM_DIR`);
    process.exit(0);
  }
  return TINYLM;
}

/** int64 [rows, cols] .npy → { rows, cols, data: BigInt64Array }. */
export function loadWindows(file) {
  const t = parseNpy(readFileSync(file), file);
  return { rows: t.dims[0], cols: t.dims[1], data: t.data };
}

/**
 * Every window of tinylm's held-out text, not only heldout.npy's 256. tinylm was trained on the first
 * 90% of Debian's fortunes files (fortunes and fortunes-min) concatenated in name order; the last
 * 10% is held out, and heldout.npy holds its first 256 windows of 129 bytes, one every 128 bytes.
 * The corpus fetch brings the two packages' text (.corpus/data/fortunes/{main,min}); this rebuilds
 * the split and the windows, and checks that the first 256 are heldout.npy's, byte for byte, so the
 * text is the one tinylm held out. { windows } as loadWindows gives, or { skip: reason }.
 */
export function allHeldoutWindows(heldout) {
  const dirs = ['main', 'min'].map((d) => join(CORPUS, 'data', 'fortunes', d));
  const absent = dirs.find((d) => !existsSync(d));
  if (absent) return { skip: `${absent} is absent (Debian fortunes, fortunes-min); run \`npm run corpus\`` };
  const files = dirs.flatMap((d) => readdirSync(d).map((name) => ({ name, path: join(d, name) }))).sort((a, b) => (a.name < b.name ? -1 : 1));
  const text = Buffer.concat(files.map((f) => readFileSync(f.path)));
  const start = Math.floor(0.9 * text.length);
  const cols = heldout.cols;
  const stride = cols - 1;
  const rows = Math.floor((text.length - start - 1) / stride);
  const data = new BigInt64Array(rows * cols);
  for (let w = 0; w < rows; w++) for (let t = 0; t < cols; t++) data[w * cols + t] = BigInt(text[start + w * stride + t]);
  for (let i = 0; i < heldout.rows * cols; i++) {
    if (data[i] !== heldout.data[i]) return { skip: `the fortunes text does not reproduce heldout.npy (first difference at window ${Math.floor(i / cols)}, byte ${i % cols})` };
  }
  return { windows: { rows, cols, data } };
}

/**
 * Bits per byte: each window w (129 bytes) feeds w[:128]; the prediction at position t scores
 * w[t+1] with the softmax of the logits; the mean of −log2 p over all predictions. Logits are
 * reduced in float64. `windows` limits how many of the held-out windows are used (all by default).
 */
export async function bitsPerByte(model, heldout, options = {}) {
  return (await heldoutScores(model, heldout, options)).bpb;
}

/**
 * Bits per byte (as bitsPerByte) and, given `reference` (the log2-probabilities another model gave,
 * from an earlier call's `logProbs`), the mean KL divergence KL(reference ‖ model) in bits per
 * prediction: how far the model's whole predicted distribution moved, which unlike bits per byte
 * cannot come out lower by luck. `keep: true` returns this model's log2-probabilities.
 * `perWindow` holds each window's mean bits per prediction: the held-out windows are the unit the
 * text was sampled in, so differences between models are judged against their spread over windows.
 */
export async function heldoutScores(model, heldout, { windows = heldout.rows, batch = 32, threads = 2, reference, keep = false } = {}) {
  const runner = await createNodeRunner(model, { threads });
  const ctx = heldout.cols - 1;
  let total = 0;
  let count = 0;
  let kl = 0;
  let logProbs;
  const perWindow = new Float64Array(windows);
  try {
    for (let w0 = 0; w0 < windows; w0 += batch) {
      const b = Math.min(batch, windows - w0);
      const ids = new BigInt64Array(b * ctx);
      for (let i = 0; i < b; i++) for (let t = 0; t < ctx; t++) ids[i * ctx + t] = heldout.data[(w0 + i) * heldout.cols + t];
      const out = await runner.run({ input_ids: { dtype: 7, dims: [b, ctx], data: ids } });
      const logits = Object.values(out)[0].data;
      const vocab = logits.length / (b * ctx);
      if (keep && !logProbs) logProbs = new Float64Array(windows * ctx * vocab);
      for (let i = 0; i < b; i++) {
        for (let t = 0; t < ctx; t++) {
          const at = (i * ctx + t) * vocab;
          let max = -Infinity;
          for (let v = 0; v < vocab; v++) max = Math.max(max, logits[at + v]);
          let sum = 0;
          for (let v = 0; v < vocab; v++) sum += Math.exp(logits[at + v] - max);
          const target = Number(heldout.data[(w0 + i) * heldout.cols + t + 1]);
          const logSum = Math.log(sum) + max;
          const bits = (logSum - logits[at + target]) / Math.LN2;
          total += bits;
          perWindow[w0 + i] += bits / ctx;
          const p = ((w0 + i) * ctx + t) * vocab;
          for (let v = 0; v < vocab; v++) {
            const lp = (logits[at + v] - logSum) / Math.LN2;
            if (logProbs) logProbs[p + v] = lp;
            if (reference) kl += 2 ** reference[p + v] * (reference[p + v] - lp);
          }
          count++;
        }
      }
    }
  } finally {
    await runner.dispose();
  }
  return { bpb: total / count, kl: reference ? kl / count : undefined, logProbs, perWindow };
}

/** calib.npy ([128, 128] int64) as a SampleSource of [1, 128] windows, in file order. */
export function calibSource(dir = TINYLM, limit = Infinity) {
  const c = loadWindows(join(dir, 'calib.npy'));
  const n = Math.min(c.rows, limit);
  return {
    label: `tinylm calib.npy (${n} windows)`,
    size: n,
    async *samples() {
      for (let i = 0; i < n; i++) yield { input_ids: { dtype: 7, dims: [1, c.cols], data: c.data.slice(i * c.cols, (i + 1) * c.cols) } };
    },
  };
}
