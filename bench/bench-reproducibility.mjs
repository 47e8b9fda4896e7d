// Do `lowbit bench` ratios reproduce? Runs the command twice on the same models and compares each
// model's time ratio to the first model between the two runs. The claim: within 10%, on a shared
// two-core machine, because runs are interleaved (A B, B A, …), ratios are paired within a round,
// and onnxruntime's threads stop spinning when a run returns. The same two runs with `--spin off`
// and `--spin always` (onnxruntime's default) are shown for comparison; the bar applies to the
// command's defaults.
//   node bench/bench-reproducibility.mjs [runs]      (build first: npm run build)
// Models: PaddleOCR det from the corpus, float and weights-int8; tinylm, float and dynamic int8.
// Prints both runs and the difference; exits 1 when a ratio moves by more than the tolerance.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel, encodeModel, quantize } from '../dist/index.js';
import { CORPUS, REPO, machine, table, benchTempDir } from './lib.mjs';

const RUNS = Number(process.argv[2] ?? 20);
const TOLERANCE = 0.1;
const CLI = join(REPO, 'dist/cli/main.js');
const work = benchTempDir('bench-repro');

const cases = [
  { name: 'ppocrv4-det 1×3×320×320', float: join(CORPUS, 'models/ppocrv4-det.onnx'), mode: 'weights-int8', dims: 'x:0=1,x:2=320,x:3=320' },
  { name: 'tinylm, 128 tokens', float: join(REPO, '../shared/models/tinylm/model.onnx'), mode: 'dynamic', dims: 'batch=1,seq=128' },
];

/** Quantize with the library into the scratch folder; the file the second model of the pair reads. */
async function quantizedCopy(floatPath, mode) {
  const model = decodeModel(readFileSync(floatPath));
  await quantize(model, { mode });
  const path = join(work, `${mode}-${floatPath.split('/').pop()}`);
  writeFileSync(path, encodeModel(model));
  return path;
}

function bench(models, dims, extra = []) {
  const r = spawnSync(process.execPath, [CLI, 'bench', ...models, '--runs', String(RUNS), '--warmup', '3', '--threads', '2', '--dim', dims, ...extra, '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`lowbit bench failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const rows = [];
let worst = 0;
for (const c of cases) {
  if (!existsSync(c.float)) {
    console.error(`skip ${c.name}: ${c.float} is absent (run \`npm run corpus\`)`);
    continue;
  }
  const models = [c.float, await quantizedCopy(c.float, c.mode)];
  for (const spin of ['during-runs', 'off', 'always']) {
    const extra = spin === 'during-runs' ? [] : ['--spin', spin];
    const [first, second] = [bench(models, c.dims, extra), bench(models, c.dims, extra)];
    const a = first.models[1];
    const b = second.models[1];
    const change = Math.abs(b.ratio - a.ratio) / a.ratio;
    if (spin === 'during-runs') worst = Math.max(worst, change);
    const ms = (run) => `${run.models[0].medianMs.toFixed(2)} / ${run.models[1].medianMs.toFixed(2)}`;
    rows.push([`${c.name}: ${c.mode} vs float`, spin === 'during-runs' ? 'default (spinning during runs)' : `--spin ${spin}`, ms(first), a.ratio.toFixed(3), ms(second), b.ratio.toFixed(3), `${(change * 100).toFixed(1)}%`]);
  }
}

console.log(`### bench ratios across two runs of \`lowbit bench\`, ${RUNS} interleaved runs each\n`);
console.log(`Machine: ${machine()}; onnxruntime-node, 2 threads. Command: \`node bench/bench-reproducibility.mjs ${RUNS}\`\n`);
console.log(table(['pair', 'spinning', 'run 1 ms (float / quantized)', 'run 1 ratio', 'run 2 ms (float / quantized)', 'run 2 ratio', 'ratio change'], rows));
const verdict = worst <= TOLERANCE ? 'within' : 'OUTSIDE';
console.log(`\nlargest ratio change with the defaults ${(worst * 100).toFixed(1)}%: ${verdict} the ${TOLERANCE * 100}% tolerance`);
process.exit(worst <= TOLERANCE ? 0 : 1);
