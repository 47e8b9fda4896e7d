// `npm run bench [-- NAME ...]`: runs the benchmarks (all, or the named ones) one after the other
// and writes each one's table into BENCHMARKS.md, between the markers of its section, so that the
// file always holds the latest figures with the command that made them. Build first (npm run build;
// `npm ci` does it). Benchmarks time things side by side, so run them on a machine that is
// otherwise quiet; each prints the machine it ran on.
//   node bench/run.mjs --list
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './lib.mjs';

/** Section name → script and arguments, in the order of BENCHMARKS.md. */
const BENCHES = [
  ['io', ['--expose-gc', 'bench/io.mjs', '7'], 'issue 2: model I/O'],
  ['quantize-weights', ['bench/quantize-weights.mjs', '9'], 'issue 3: weight quantizer throughput'],
  ['dynamic-conv', ['bench/dynamic-conv.mjs', '15'], 'issue 3: which form dynamic mode gives convolutions'],
  ['quantize-speed', ['bench/quantize-speed.mjs', '9'], 'issue 3: dynamic int8 speed on mailwoman and ISNet'],
  ['static-int8', ['bench/static-int8.mjs', '6'], 'issue 4: static int8 speed and fidelity (conv stack, ISNet)'],
  ['static-int8-corpus', ['bench/static-int8-corpus.mjs', '11', '0.98,0.99'], 'issue 4: static int8 on PaddleOCR det, mlsd and BlazeFace'],
  ['output-stability', ['bench/output-stability.mjs'], 'issue 4: how far fp32 outputs move under sub-pixel input noise'],
  ['peak-mask-fidelity', ['bench/peak-mask-fidelity.mjs', '11'], 'issue 4: mlsd\'s peak-mask scores on the photos not calibrated on'],
  ['calib-memory', ['bench/calib-memory.mjs', 'minmax', 'entropy'], 'issue 4: calibration memory, 50 vs 500 samples'],
  ['calib-time', ['bench/calib-time.mjs', '3'], 'issue 4: calibration time by method'],
  ['int4-tinylm', ['bench/int4-tinylm.mjs'], 'issue 5: int4 quality on tinylm'],
  ['int4-numberings', ['bench/int4-numberings.mjs'], 'issue 5: int4 bars over renumberings of tinylm\'s hidden units'],
  ['int4-latency', ['bench/int4-latency.mjs'], 'issue 5: int4 latency on a 2048-wide decoder stack'],
  ['bench-reproducibility', ['bench/bench-reproducibility.mjs', '60'], 'issue 6: do `lowbit bench` ratios reproduce?'],
  ['train-throughput', ['bench/train-throughput.mjs', '250', '3'], 'issue 7: training throughput'],
];

const FILE = join(REPO, 'BENCHMARKS.md');
const HEADER = `# Benchmarks

The latest figures of every benchmark in \`bench/\`, each with the machine it ran on and the command
that made it. \`npm run bench\` reruns all of them and rewrites this file; \`npm run bench -- NAME ...\`
reruns some (names: ${BENCHES.map(([n]) => `\`${n}\``).join(', ')}). Times are medians of runs
interleaved across the models compared (A B, B A, …), so that load from elsewhere on a shared
machine hits all alike; ratios are medians of the per-round ratios (sections written before
2026-11-27 13:00 used ratios of medians). onnxruntime's worker threads spin during a run and stop
when it returns, as lowbit's own sessions do (README, "Thread spinning"); sections written from
2026-11-27 13:00 to 2026-11-29 ran with spinning off, older ones with onnxruntime's default
(spinning after runs too). Read the ratios, not the milliseconds.
`;

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const [name, argv, what] of BENCHES) console.log(`${name.padEnd(22)} node ${argv.join(' ')}   (${what})`);
  process.exit(0);
}
const unknown = args.filter((a) => !BENCHES.some(([n]) => n === a));
if (unknown.length) {
  console.error(`bench: unknown benchmark(s) ${unknown.join(', ')}; see node bench/run.mjs --list`);
  process.exit(2);
}
if (!existsSync(join(REPO, 'dist', 'index.js'))) {
  console.error('bench: dist/ is missing; run `npm run build` first');
  process.exit(1);
}

const marker = (name, end = false) => `<!-- bench:${name}${end ? ':end' : ''} -->`;
// Every section of the file as it is, the benchmarks' and those written by hand (figures from
// commands that are not benchmark scripts, such as test/large): kept unless rerun here.
const sections = new Map();
const old = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '';
for (const m of old.matchAll(/<!-- bench:([\w-]+) -->([\s\S]*?)<!-- bench:\1:end -->/g)) sections.set(m[1], m[2].trim());

const oldOrder = [...sections.keys()];

let failed = 0;
for (const [name, argv, what] of BENCHES) {
  if (args.length && !args.includes(name)) continue;
  process.stderr.write(`\n== ${name}: node ${argv.join(' ')}\n`);
  const r = spawnSync(process.execPath, argv, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 << 20 });
  process.stdout.write(r.stdout ?? '');
  if (r.status !== 0) failed++;
  if (!r.stdout.trim()) {
    // Exit 0 with nothing printed: skipped (a corpus model or the photos absent), said on stderr.
    process.stderr.write(`bench: ${name} ${r.status === 0 ? 'skipped' : `failed (exit ${r.status})`} and printed nothing; its section keeps the previous figures\n`);
    continue;
  }
  // A benchmark that measured but missed its own bar exits 1: its figures are recorded all the same,
  // with that said, since a result is a result.
  const missed = r.status !== 0 ? `\n\n**This run exited with status ${r.status}: it missed the bar it checks (see above).**` : '';
  sections.set(name, `## ${what}\n\n${r.stdout.trim()}${missed}`);
}

const order = sectionOrder(oldOrder);
const body = order.filter((name) => sections.has(name)).map((name) => `${marker(name)}\n${sections.get(name)}\n${marker(name, true)}`);
const temp = `${FILE}.tmp-${process.pid}`;
writeFileSync(temp, `${HEADER}\n${body.join('\n\n')}\n`);
renameSync(temp, FILE);
process.stderr.write(`\nbench: wrote ${FILE}${failed ? ` (${failed} benchmark(s) failed)` : ''}\n`);
process.exit(failed ? 1 : 0);

/**
 * The benchmarks in BENCHES' order, each section written by hand right after the benchmark it
 * followed in the file (at the top if none did), so that a rerun does not move it.
 */
function sectionOrder(fileOrder) {
  const isBench = (name) => BENCHES.some(([n]) => n === name);
  const after = new Map();
  let previous;
  for (const name of fileOrder) {
    if (isBench(name)) previous = name;
    else after.set(previous, [...(after.get(previous) ?? []), name]);
  }
  return [...(after.get(undefined) ?? []), ...BENCHES.flatMap(([name]) => [name, ...(after.get(name) ?? [])])];
}
