// Are issue 5's int4 bars met by the methods, or by the numbering of tinylm's hidden units?
//
// int4 blocks group consecutive weight rows; renumbering the model's hidden units leaves the float
// model's function as it was but changes every block (bench/tinylm-permute.mjs). This benchmark
// quantizes tinylm as trained and under N renumberings, with rtn, hqq and gptq, and judges each bar
// on the mean over the numberings, with a 95% interval over them (Student's t, N + 1 draws), and
// counts on how many numberings it holds. bench/int4-tinylm.mjs judges the bars on the model as
// trained, with intervals over held-out windows; those intervals say how much the text decides, these
// how much the numbering does.
//   node bench/int4-numberings.mjs [--numberings 6] [--blocks 32,128] [--methods rtn,hqq,gptq]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeRunner, decodeModel, encodeModel, quantize } from '../dist/index-node.js';
import { allHeldoutWindows, calibSource, heldoutScores, loadWindows, requireTinylm } from './int4-lib.mjs';
import { permutedTinylm } from './tinylm-permute.mjs';
import { machine, table } from './lib.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const numberings = Number(arg('--numberings', '6'));
const blocks = arg('--blocks', '32,128').split(',').map(Number);
const methods = arg('--methods', 'rtn,hqq,gptq').split(',');
const badBlock = blocks.find((b) => ![16, 32, 64, 128, 256].includes(b));
const badMethod = methods.find((m) => !['rtn', 'hqq', 'gptq'].includes(m));
const problem = !(Number.isInteger(numberings) && numberings >= 1 && numberings <= 29)
  ? `--numberings: '${arg('--numberings')}' is not a whole number from 1 to 29`
  : badBlock !== undefined
    ? `--blocks: '${badBlock}' is not 16, 32, 64, 128 or 256`
    : badMethod !== undefined
      ? `--methods: '${badMethod}' is not rtn, hqq or gptq`
      : !methods.includes('rtn')
        ? '--methods must include rtn: every bar is relative to it'
        : undefined;
if (problem) {
  console.error(problem);
  process.exit(2);
}

const dir = requireTinylm();
const trained = readFileSync(join(dir, 'model.onnx'));
const heldoutNpy = loadWindows(join(dir, 'heldout.npy'));
const all = allHeldoutWindows(heldoutNpy);
if (all.skip) process.stderr.write(`all held-out windows: skipped: ${all.skip}; scoring heldout.npy's ${heldoutNpy.rows}\n`);
const heldout = all.windows ?? heldoutNpy;
/** The 0.975 quantile of Student's t for 1 … 29 degrees of freedom. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045];

const ACCURACY_LEVEL = 0; // float activations in the kernel, as bench/int4-tinylm.mjs: the weights alone

const command = `node bench/int4-numberings.mjs${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`;
console.log('### int4 on tinylm under renumbered hidden units\n');
console.log(`Machine: ${machine()}; onnxruntime-node 1.30, CPU, 2 threads. Command: \`${command}\`\n`);
console.log(`tinylm as trained and under ${numberings} renumberings of its hidden units (seeds 1–${numberings}; bench/tinylm-permute.mjs): the same function in fp32, other int4 blocks. Scored on ${all.windows ? `all ${heldout.rows} windows of the held-out text` : `heldout.npy (${heldout.rows} windows)`}; gptq calibrated on calib.npy; MatMulNBits, accuracy_level 0.\n`);

/** increases[setting][method] = bits-per-byte increase over that numbering's fp32, one per numbering. */
const increases = new Map();
const kls = new Map();
let reference;
for (let seed = 0; seed <= numberings; seed++) {
  const fp32 = seed === 0 ? trained : permutedTinylm(trained, seed);
  const base = await heldoutScores(fp32, heldout, { keep: true });
  if (seed === 0) reference = base;
  else checkSameFunction(base, seed);
  for (const blockSize of blocks) {
    for (const symmetric of [true, false]) {
      const setting = `${blockSize}, ${symmetric ? 'sym' : 'asym'}`;
      for (const method of methods) {
        const model = decodeModel(fp32);
        const calibration = method === 'gptq' ? { int4Calibration: { source: calibSource(dir), createRunner: (bytes) => createNodeRunner(bytes, { threads: 2 }) } } : {};
        await quantize(model, { mode: 'int4', blockSize, symmetric, int4Method: method, accuracyLevel: ACCURACY_LEVEL, ...calibration });
        const { bpb, kl } = await heldoutScores(encodeModel(model), heldout, { reference: base.logProbs });
        push(increases, setting, method, bpb - base.bpb);
        push(kls, setting, method, kl);
        process.stderr.write(`numbering ${seed} ${method} ${setting}: increase ${(bpb - base.bpb).toFixed(6)}, KL ${kl.toFixed(6)}\n`);
      }
    }
  }
}

const draws = numberings + 1;
const settings = [...increases.keys()];
console.log(table(
  ['block, zero points', 'method', 'increase over fp32: mean (95% interval over numberings)', 'as trained', 'lowest … highest', 'KL(fp32 ‖ int4), mean'],
  settings.flatMap((setting) => methods.map((method) => {
    const values = increases.get(setting).get(method);
    const { mean, half } = interval(values);
    return [setting, method, `${mean.toFixed(6)} ±${half.toFixed(6)}`, values[0].toFixed(6), `${Math.min(...values).toFixed(6)} … ${Math.max(...values).toFixed(6)}`, average(kls.get(setting).get(method)).toFixed(6)];
  })),
));

console.log(`\n#### The bars on the mean over the ${draws} numberings\n`);
const bars = [];
for (const setting of settings) {
  const by = increases.get(setting);
  const rtn = by.get('rtn');
  const rows = [];
  if (by.has('gptq')) rows.push(['gptq cuts rtn\'s increase by ≥ 40%', by.get('gptq'), (g, r) => 0.6 * r - g, (g, r) => `${((1 - g / r) * 100).toFixed(2)}%`]);
  if (by.has('hqq')) rows.push(['hqq: bpb − rtn\'s ≤ 10% of rtn\'s increase', by.get('hqq'), (h, r) => 0.1 * r - (h - r), (h, r) => `${(((h - r) / r) * 100).toFixed(2)}%`]);
  for (const [bar, values, marginOf, measure] of rows) {
    const margins = values.map((v, i) => marginOf(v, rtn[i]));
    const { mean, half } = interval(margins);
    const held = margins.filter((m) => m >= 0).length;
    bars.push([setting, bar, measure(average(values), average(rtn)), mean >= 0 ? 'yes' : 'NO', `${mean.toFixed(6)} ±${half.toFixed(6)}`, Math.abs(mean) > half ? 'yes' : 'no', `${held} of ${draws}`]);
  }
}
console.log(table(['block, zero points', 'bar', 'measured on the means', 'met', 'margin to the bar, bits (95% interval over numberings)', 'decided beyond the numbering', 'numberings where it holds'], bars));

/** A renumbered model must compute what tinylm computes: its fp32 log-probabilities within float noise. */
function checkSameFunction(base, seed) {
  let worst = 0;
  for (let i = 0; i < base.logProbs.length; i++) worst = Math.max(worst, Math.abs(base.logProbs[i] - reference.logProbs[i]));
  if (!(worst < 1e-3)) {
    console.error(`numbering ${seed} changed tinylm's fp32 predictions (largest log2-probability difference ${worst}): bench/tinylm-permute.mjs no longer matches the model`);
    process.exit(1);
  }
}

function push(map, setting, method, value) {
  if (!map.has(setting)) map.set(setting, new Map());
  const by = map.get(setting);
  if (!by.has(method)) by.set(method, []);
  by.get(method).push(value);
}

function average(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Mean and 95% half-width over a few draws: Student's t with n − 1 degrees of freedom. */
function interval(values) {
  const n = values.length;
  const mean = average(values);
  if (n < 2) return { mean, half: Infinity };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, half: T975[Math.min(n - 1, T975.length) - 1] * Math.sqrt(variance / n) };
}
