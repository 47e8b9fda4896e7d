// Shared helpers for benchmark scripts: medians, machine facts, markdown tables.
import { cpus, tmpdir, totalmem } from 'node:os';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpuFlags, hasInt8DotProduct } from '../dist/node/cpu.js';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const CORPUS = process.env.LOWBIT_CORPUS_DIR ?? join(REPO, '.corpus');

/** A new temporary folder `lowbit-NAME-…`, removed when the benchmark's process exits. */
export function benchTempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `lowbit-${name}-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))));
  return s[i];
}

export function machine() {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  const simd = vectorUnits();
  return `${cpus().length} × ${cpu}${simd ? ` (${simd})` : ''}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/**
 * The processor's widest vector instructions and whether it has 8-bit dot products, from Linux's
 * /proc/cpuinfo (undefined elsewhere). Figures depend on them beyond speed: onnxruntime's float
 * kernels round differently with AVX2 and AVX-512, and GPTQ, which measures each stage's inputs on
 * the model quantized so far, turns one flipped rounding into other codes everywhere after it: the
 * int4 gptq figures of 2026-11-27 differ from later ones in the 4th significant digit, and the same
 * code run today gives today's; the benchmarks then ran, most likely, on AVX2 without VNNI.
 */
function vectorUnits() {
  const flags = cpuFlags();
  if (!flags) return undefined;
  if (flags.has('asimd')) return `NEON${hasInt8DotProduct() ? ', dotprod' : ''}`;
  const width = flags.has('avx512f') ? 'AVX-512' : flags.has('avx2') ? 'AVX2' : flags.has('sse4_1') ? 'SSE4.1' : undefined;
  return width && `${width}, ${hasInt8DotProduct() ? 'VNNI' : 'no VNNI'}`;
}

export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function requireModel(id) {
  const path = join(CORPUS, 'models', `${id}.onnx`);
  if (!existsSync(path)) {
    console.error(`skip: corpus model '${id}' is absent (${path}); run \`npm run corpus\``);
    process.exit(0);
  }
  return path;
}

export const mb = (bytes) => (bytes / 1e6).toFixed(1);
