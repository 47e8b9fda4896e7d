// int4 on tinylm (../shared/models/tinylm, a real byte-level GPT): bits per byte on all 256
// held-out windows for fp32 and for rtn, hqq and gptq (calibration: calib.npy, 128 windows), at
// blocks of 32 and 128, symmetric and asymmetric; how long each method takes; the MatMul weights'
// size against fp32 (packed codes + scales + zero points); the weight reconstruction error
// Σ(w−ŵ)²/Σw², measured here from the written MatMulNBits initializers against the float weights.
// KL(fp32 ‖ int4) on the same predictions says how far the whole predicted distribution moved; at
// these tiny increases bits per byte can move either way by chance, KL cannot fall below 0.
// Then the bars, like against like (same block size and symmetry):
//   gptq: (bpb_gptq − bpb_fp32) ≤ 0.6 × (bpb_rtn − bpb_fp32)          (cuts rtn's increase by ≥ 40%)
//   hqq:  error_hqq < error_rtn and bpb_hqq − bpb_rtn ≤ 0.1 × (bpb_rtn − bpb_fp32)
// Everything is deterministic (no seeds: rtn, hqq and gptq have no randomness), so the figures
// repeat exactly from run to run. What is not fixed is the held-out text: another 256 windows would
// give other increases. So every increase and every bar's margin also gets a 95% interval over the
// windows (mean ± 1.96 standard errors of the per-window differences, paired: each window is scored
// by every model), which says whether the text decides the bar or chance does.
// heldout.npy's 256 windows are the first eighth of tinylm's held-out text; when the corpus holds
// that text (Debian's fortunes), every model is also scored on all of it (2013 windows), whose
// intervals are about a third as wide, and the bars are judged again there.
//   node bench/int4-tinylm.mjs [--blocks 32,128] [--methods rtn,hqq,gptq]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel, encodeModel, quantize, toFloat32 } from '../dist/index-node.js';
import { createNodeRunner } from '../dist/index-node.js';
import { dequantizeInt4 } from '../dist/quant/int4-blocks.js';
import { fromMatMulNBits } from '../dist/quant/int4-layout.js';
import { allHeldoutWindows, calibSource, heldoutScores, loadWindows, requireTinylm } from './int4-lib.mjs';
import { machine, table } from './lib.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const blocks = arg('--blocks', '32,128').split(',').map(Number);
const methods = arg('--methods', 'rtn,hqq,gptq').split(',');
const badBlock = blocks.find((b) => ![16, 32, 64, 128, 256].includes(b));
const badMethod = methods.find((m) => !['rtn', 'hqq', 'gptq'].includes(m));
if (badBlock !== undefined || badMethod !== undefined) {
  console.error(badMethod !== undefined ? `--methods: '${badMethod}' is not rtn, hqq or gptq` : `--blocks: '${badBlock}' is not 16, 32, 64, 128 or 256`);
  process.exit(2);
}

const dir = requireTinylm();
const fp32 = readFileSync(join(dir, 'model.onnx'));
const heldout = loadWindows(join(dir, 'heldout.npy'));
const all = allHeldoutWindows(heldout);
if (all.skip) process.stderr.write(`all held-out windows: skipped: ${all.skip}\n`);
/** The evaluation sets: heldout.npy, and all of the held-out text when the corpus has it. */
const sets = [{ label: 'heldout.npy', windows: heldout }, ...(all.windows ? [{ label: `all ${all.windows.rows} held-out windows`, windows: all.windows }] : [])];
const floatWeights = matMulWeights(decodeModel(fp32));

const command = `node bench/int4-tinylm.mjs${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`;
console.log('### int4 on tinylm: bits per byte on the held-out windows\n');
console.log(`Machine: ${machine()}; onnxruntime-node 1.30, CPU, 2 threads. Command: \`${command}\`\n`);
console.log(`Held-out: ${heldout.rows} windows × ${heldout.cols - 1} predictions (heldout.npy); gptq calibration: calib.npy (128 windows of 128 bytes). Format: MatMulNBits (nbits), accuracy_level 0 (float activations, so that the figures measure the weights alone).\n`);
console.log(all.windows ? `Also scored on all ${all.windows.rows} windows of the held-out text, rebuilt from Debian's fortunes (the last 10% of the text tinylm was trained on; heldout.npy is its first 256 windows, checked byte for byte).\n` : `Not scored on all of the held-out text: ${all.skip}.\n`);

// The methods are compared with float activations in the kernel (accuracy_level 0), so that the
// figures measure the weights' quantization alone; `--accuracy-level 4`, the CLI's default, adds
// about 1% KL (see the latency benchmark).
const ACCURACY_LEVEL = 0;
const bases = [];
for (const set of sets) bases.push(await heldoutScores(fp32, set.windows, { keep: true }));
const [{ bpb: base }] = bases;
const allColumns = sets.length > 1 ? [`increase over fp32, ${sets[1].label} (95% interval)`] : [];
const rows = [['fp32', '–', '–', base.toFixed(6), '0', '–', '0', '–', '1', '–', ...allColumns.map(() => '0')]];
const results = [];
for (const blockSize of blocks) {
  for (const symmetric of [true, false]) {
    for (const method of methods) {
      const model = decodeModel(fp32);
      const options = { mode: 'int4', blockSize, symmetric, int4Method: method, accuracyLevel: ACCURACY_LEVEL, ...(method === 'gptq' ? { int4Calibration: { source: calibSource(dir), createRunner: (bytes) => createNodeRunner(bytes, { threads: 2 }) } } : {}) };
      const t0 = performance.now();
      const result = await quantize(model, options);
      const seconds = (performance.now() - t0) / 1000;
      const bytes = encodeModel(model);
      const error = reconstruction(model, floatWeights);
      const scores = [];
      for (const [i, set] of sets.entries()) {
        const { bpb, kl, perWindow } = await heldoutScores(bytes, set.windows, { reference: bases[i].logProbs });
        scores.push({ bpb, kl, increase: bpb - bases[i].bpb, perWindow, spread: interval(perWindow.map((v, w) => v - bases[i].perWindow[w])) });
      }
      const r = { blockSize, symmetric, method, scores, error, seconds, ratio: result.weightBytes.after / result.weightBytes.before };
      results.push(r);
      const [own, ...more] = scores;
      rows.push([method, String(blockSize), symmetric ? 'sym' : 'asym', own.bpb.toFixed(6), own.increase.toFixed(6), `±${own.spread.half.toFixed(6)}`, own.kl.toFixed(6), error.toExponential(6), r.ratio.toFixed(4), seconds.toFixed(2), ...more.map((m) => `${m.increase.toFixed(6)} ±${m.spread.half.toFixed(6)}`)]);
      process.stderr.write(`${method} b${blockSize} ${symmetric ? 'sym' : 'asym'}: ${scores.map((x) => x.bpb.toFixed(6)).join(', ')} bits per byte (${seconds.toFixed(1)} s)\n`);
    }
  }
}
console.log(table(['method', 'block', 'zero points', 'bits per byte', 'increase over fp32', '95% interval (windows)', 'KL(fp32 ‖ int4), bits', 'weight error Σ(w−ŵ)²/Σw²', 'MatMul weights vs fp32', 'quantize s', ...allColumns], rows));

for (const [i, set] of sets.entries()) {
  console.log(`\n#### The bars on ${set.label}\n`);
  console.log(table(['block, zero points', 'bar', 'measured', 'met', 'margin to the bar, bits (95% interval over windows)', 'decided beyond chance'], barRows(i)));
}

/** The bars, judged on evaluation set `i`. */
function barRows(i) {
  const basePerWindow = bases[i].perWindow;
  const bars = [];
  for (const blockSize of blocks) {
    for (const symmetric of [true, false]) {
      const get = (m) => {
        const r = results.find((x) => x.method === m && x.blockSize === blockSize && x.symmetric === symmetric);
        return r && { ...r, ...r.scores[i] };
      };
      const rtn = get('rtn');
      if (!rtn) continue;
      const setting = `${blockSize}, ${symmetric ? 'sym' : 'asym'}`;
      // A bar's margin per window: how far below the bar the window's figures are (met when the
      // mean margin ≥ 0). Its mean is exactly the margin of the whole held-out set.
      const margin = (fn) => interval(basePerWindow.map((f, w) => fn(f, w)));
      const gptq = get('gptq');
      if (gptq) {
        const cut = 1 - gptq.increase / rtn.increase;
        const m = margin((f, w) => 0.6 * (rtn.perWindow[w] - f) - (gptq.perWindow[w] - f));
        bars.push([setting, 'gptq cuts rtn\'s increase by ≥ 40%', `${(cut * 100).toFixed(2)}% (${gptq.increase.toFixed(6)} vs ${rtn.increase.toFixed(6)})`, cut >= 0.4 ? 'yes' : 'NO', ...decided(m)]);
      }
      const hqq = get('hqq');
      if (hqq) {
        bars.push([setting, 'hqq: lower weight error than rtn', `${hqq.error.toExponential(6)} vs ${rtn.error.toExponential(6)}`, hqq.error < rtn.error ? 'yes' : 'NO', '–', 'yes (no sampling)']);
        const over = (hqq.bpb - rtn.bpb) / rtn.increase;
        const m = margin((f, w) => 0.1 * (rtn.perWindow[w] - f) - (hqq.perWindow[w] - rtn.perWindow[w]));
        bars.push([setting, 'hqq: bpb − rtn\'s ≤ 10% of rtn\'s increase', `${(over * 100).toFixed(2)}% (${(hqq.bpb - rtn.bpb).toFixed(6)})`, over <= 0.1 ? 'yes' : 'NO', ...decided(m)]);
      }
    }
  }
  return bars;
}

/** Mean and 95% half-width (1.96 standard errors) of per-window values. */
function interval(values) {
  const n = values.length;
  let mean = 0;
  for (const v of values) mean += v / n;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2 / (n - 1);
  return { mean, half: 1.96 * Math.sqrt(variance / n) };
}

/** A margin's interval as table cells: the interval, and whether it excludes 0. */
function decided({ mean, half }) {
  const text = `${mean.toFixed(6)} ±${half.toFixed(6)}`;
  return [text, Math.abs(mean) > half ? 'yes' : 'no (within the windows\' spread)'];
}

/** name → float32 values of every MatMul weight [K, N] of the float model. */
function matMulWeights(model) {
  const out = new Map();
  for (const node of model.graph.nodes) {
    if (node.opType !== 'MatMul') continue;
    const w = node.input(1);
    if (w?.initializer && w.initializer.dims.length === 2) out.set(node.name, toFloat32(w.initializer));
  }
  return out;
}

/** Σ(w−ŵ)²/Σw² over the MatMulNBits weights of `model` (each node keeps its MatMul's name). */
function reconstruction(model, weights) {
  let sse = 0;
  let energy = 0;
  for (const node of model.graph.nodes) {
    if (node.opType !== 'MatMulNBits') continue;
    const w = weights.get(node.name);
    const k = node.attrInt('K');
    const n = node.attrInt('N');
    const blockSize = node.attrInt('block_size');
    const [, b, scales, zp] = node.inputs;
    const zeroPoints = zp ? (zp.initializer.dtype !== 2 /* not uint8: float zero points */ ? toFloat32(zp.initializer) : zp.initializer.bytes()) : undefined;
    const deq = dequantizeInt4(fromMatMulNBits({ b: b.initializer.bytes(), scales: toFloat32(scales.initializer), zeroPoints }, k, n, blockSize));
    for (let i = 0; i < deq.length; i++) {
      const d = w[i] - deq[i];
      sse += d * d;
      energy += w[i] * w[i];
    }
  }
  return sse / energy;
}
