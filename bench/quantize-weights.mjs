// Weight quantizer throughput, one core: fp32 weights → int8 per output channel (symmetric, as
// weights-int8 / dynamic / static int8 use it), in MB of fp32 input per second: per second of wall
// time, and per second of this process's CPU time (what one core does when the machine is shared
// and the wall clock counts other work too).
//   node bench/quantize-weights.mjs [runs]
import { quantizeWeight } from '../dist/quant/weights.js';
import { machine, median, table } from './lib.mjs';

const runs = Number(process.argv[2] ?? 9);
const cases = [
  { name: 'MatMul weight [4096, 4096], per column (axis 1)', dims: [4096, 4096], axis: 1 },
  { name: 'Conv weight [512, 512, 3, 3], per output channel (axis 0)', dims: [512, 512, 3, 3], axis: 0 },
  { name: 'Gemm weight [1000, 4096] transB, per row (axis 0)', dims: [1000, 4096], axis: 0 },
];
const rows = [];
for (const c of cases) {
  const n = c.dims.reduce((a, b) => a * b, 1);
  // Roughly Gaussian weights (sum of uniforms), like trained ones.
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const w = Float32Array.from({ length: n }, () => (rand() + rand() + rand() - 1.5) * 0.05);
  const times = [];
  const cpuTimes = [];
  for (let r = 0; r < runs + 1; r++) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    quantizeWeight(w, c.dims, { axis: c.axis });
    const used = process.cpuUsage(cpu);
    if (r > 0) {
      // the first run warms the JIT
      times.push(performance.now() - t);
      cpuTimes.push((used.user + used.system) / 1000);
    }
  }
  const ms = median(times);
  const cpuMs = median(cpuTimes);
  const rate = (t) => (w.byteLength / 1e6 / (t / 1000)).toFixed(0);
  rows.push([c.name, (w.byteLength / 1e6).toFixed(1), ms.toFixed(1), rate(ms), cpuMs.toFixed(1), rate(cpuMs)]);
}
console.log(`### Weight quantizer throughput (int8 per channel, one core), median of ${runs}\n`);
console.log(`Machine: ${machine()}. Command: \`node bench/quantize-weights.mjs ${runs}\`\n`);
console.log(table(['weight', 'fp32 MB', 'wall ms', 'MB/s (wall)', 'CPU ms', 'MB/s (CPU)'], rows));
