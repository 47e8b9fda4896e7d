// Weight quantizer throughput, one core: fp32 weights → int8 per output channel (symmetric, as
// weights-int8 / dynamic / static int8 use it), in MB of fp32 input per second of this process's
// CPU time (what one core does when the machine is shared and the wall clock counts other work
// too) and of wall time. The WebAssembly SIMD kernels (what the library runs) side by side with
// the JavaScript loops it falls back to where an engine lacks SIMD. Bar (issue 3): 500 MB/s.
// Each run is what lowbit's weight store does with a per-channel weight: first the check that
// turns away weights already on one int8 grid (exactPerTensor), then the quantization.
//   node bench/quantize-weights.mjs [runs]
import { exactPerTensor, quantizeWeight } from '../dist/quant/weights.js';
import { quantizeInt4Rtn } from '../dist/quant/int4-blocks.js';
import { machine, median, table } from './lib.mjs';

const BAR_MB_S = 500;
const runs = Number(process.argv[2] ?? 9);
const cases = [
  { name: 'MatMul weight [4096, 4096], per column (axis 1)', dims: [4096, 4096], axis: 1 },
  { name: 'Conv weight [512, 512, 3, 3], per output channel (axis 0)', dims: [512, 512, 3, 3], axis: 0 },
  { name: 'Gemm weight [1000, 4096] transB, per row (axis 0)', dims: [1000, 4096], axis: 0 },
];

/** Median wall and CPU milliseconds of `runs` calls, after one that warms the JIT. */
function time(run) {
  const wall = [];
  const cpu = [];
  for (let r = 0; r < runs + 1; r++) {
    const t = performance.now();
    const before = process.cpuUsage();
    run();
    const used = process.cpuUsage(before);
    if (r === 0) continue;
    wall.push(performance.now() - t);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const rows = [];
let slowest = Infinity;
for (const c of cases) {
  const n = c.dims.reduce((a, b) => a * b, 1);
  // Roughly Gaussian weights (sum of uniforms), like trained ones.
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const w = Float32Array.from({ length: n }, () => (rand() + rand() + rand() - 1.5) * 0.05);
  const rate = (ms) => w.byteLength / 1e6 / (ms / 1000);
  // alternate the two, so that load from elsewhere hits both alike
  const simd = [];
  const js = [];
  for (let round = 0; round < 2; round++) {
    simd.push(time(() => exactPerTensor(w) ?? quantizeWeight(w, c.dims, { axis: c.axis })));
    js.push(time(() => exactPerTensor(w, { javascriptOnly: true }) ?? quantizeWeight(w, c.dims, { axis: c.axis, javascriptOnly: true })));
  }
  const best = (list) => ({ wall: Math.min(...list.map((t) => t.wall)), cpu: Math.min(...list.map((t) => t.cpu)) });
  const a = best(simd);
  const b = best(js);
  slowest = Math.min(slowest, rate(a.cpu));
  rows.push([c.name, (w.byteLength / 1e6).toFixed(1), a.cpu.toFixed(1), rate(a.cpu).toFixed(0), rate(a.wall).toFixed(0), rate(b.cpu).toFixed(0), (b.cpu / a.cpu).toFixed(2) + '×']);
}
console.log(`### Weight quantizer throughput (int8 per channel, one core), median of ${runs} (better of 2 alternated rounds)\n`);
console.log(`Machine: ${machine()}. Command: \`node bench/quantize-weights.mjs ${runs}\`\n`);
console.log(table(['weight', 'fp32 MB', 'CPU ms (SIMD)', 'MB/s CPU (SIMD)', 'MB/s wall (SIMD)', 'MB/s CPU (JavaScript loops)', 'SIMD speed-up'], rows));

// int4 round to nearest (--mode int4's default) runs on the same kernels, block by block.
const int4Rows = [];
{
  const [k, n] = [4096, 4096];
  let s = 11;
  const w = Float32Array.from({ length: k * n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.1);
  // The same values in a Float64Array take the JavaScript loops (the kernels read Float32Array only).
  const w64 = Float64Array.from(w);
  const rate = (ms) => (w.byteLength / 1e6 / (ms / 1000)).toFixed(0);
  for (const symmetric of [true, false]) {
    const shape = { k, n, blockSize: 32, symmetric };
    const simd = [];
    const js = [];
    for (let round = 0; round < 2; round++) {
      simd.push(time(() => quantizeInt4Rtn(w, shape)).cpu);
      js.push(time(() => quantizeInt4Rtn(w64, shape)).cpu);
    }
    const [a, b] = [Math.min(...simd), Math.min(...js)];
    int4Rows.push([`MatMul weight [${k}, ${n}], block 32, ${symmetric ? 'symmetric' : 'asymmetric'}`, (w.byteLength / 1e6).toFixed(1), a.toFixed(1), rate(a), rate(b), (b / a).toFixed(2) + '×']);
  }
}
console.log('\nint4 round to nearest (codes, scales and zero points; packing not included), same rounds:\n');
console.log(table(['weight', 'fp32 MB', 'CPU ms (SIMD)', 'MB/s CPU (SIMD)', 'MB/s CPU (JavaScript loops)', 'SIMD speed-up'], int4Rows));
const met = slowest >= BAR_MB_S;
console.log(`\nslowest case ${slowest.toFixed(0)} MB/s of CPU time: ${met ? 'meets' : 'MISSES'} the bar of ${BAR_MB_S} MB/s`);
process.exit(met ? 0 : 1);
