// Run with `npm run test:large` (a few minutes; writes ~5 GB to the system temp folder and deletes it).
// A generated model of 1.07 billion float32 parameters (4.3 GB of external data) quantizes to int4
// with `lowbit quantize --mode int4 --no-verify` in a child process whose peak resident memory
// (/usr/bin/time's maximum resident set size) stays under 4 GB: the weights stream, one at a time.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { DataType } from '../../src/ir/dtype.js';
import { readModelFile, writeModelFile } from '../../src/node/model-files.js';
import { CLI } from '../helpers/cli.js';
import { GeneratedTensor } from '../helpers/generated-tensor.js';
import { runOnce } from '../helpers/ort.js';

const HIDDEN = 8192;
const WIDE = 16384;
const LAYERS = 8; // 8 × 8192 × 16384 = 1.07 G parameters, 4.3 GB in float32
const LIMIT = 4 * 2 ** 30;
const dir = mkdtempSync(join(tmpdir(), 'lowbit-int4-1b-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a 1-billion-parameter model with external data quantizes to int4 in under 4 GB of memory', async () => {
  const b = new GraphBuilder(17);
  let h = b.input('x', DataType.FLOAT, [1, HIDDEN]);
  let params = 0;
  for (let i = 0; i < LAYERS; i++) {
    const [rows, cols] = i % 2 === 0 ? [HIDDEN, WIDE] : [WIDE, HIDDEN];
    params += rows * cols;
    // Values made when the writer asks for them, one tensor at a time: generating streams too.
    h = b.op('MatMul', [h, b.initializer(`w${i}`, new GeneratedTensor([rows, cols], 200 + i, 1 / Math.sqrt(rows)))]);
  }
  b.output(h, DataType.FLOAT, [1, HIDDEN]);
  expect(params).toBeGreaterThanOrEqual(1e9);
  const written = writeModelFile(b.model, join(dir, 'big.onnx'), { externalData: 'always' });
  const floatBytes = statSync(written.externalDataPath!).size;
  expect(floatBytes).toBe(params * 4);

  // The CLI as a user runs it; /usr/bin/time reports the child's peak resident set (KiB).
  const out = join(dir, 'big-int4.onnx');
  const args = [CLI, 'quantize', written.path, '-o', out, '--mode', 'int4', '--no-verify', '--json'];
  const start = performance.now();
  const timed = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - start) / 1000;
  expect(timed.status, timed.stderr).toBe(0);
  const peakKiB = Number(timed.stderr.trim().split('\n').pop());
  const json = JSON.parse(timed.stdout);
  const outBytes = json.output.bytes as number;
  process.stderr.write(
    `int4 1B: ${(params / 1e9).toFixed(2)} G parameters, ${(floatBytes / 1e9).toFixed(2)} GB fp32 → ${(outBytes / 1e9).toFixed(3)} GB int4 (${(outBytes / floatBytes).toFixed(4)}×) in ${seconds.toFixed(1)} s, peak RSS ${(peakKiB / 2 ** 20).toFixed(2)} GiB\n`,
  );
  expect(json.quantized).toBe(LAYERS);
  expect(peakKiB * 1024).toBeLessThan(LIMIT);
  expect(outBytes / floatBytes).toBeLessThan(0.19);
  rmSync(written.externalDataPath!);

  // The result loads in onnxruntime and its weights are MatMulNBits blocks.
  const model = readModelFile(out).model;
  expect([...model.graph.nodes].map((n) => n.opType)).toEqual(Array(LAYERS).fill('MatMulNBits'));
  const x = Float32Array.from({ length: HIDDEN }, (_, i) => Math.sin(i));
  const y = (await runOnce(out, { x: { dtype: DataType.FLOAT, dims: [1, HIDDEN], data: x } }, 'all'))[model.graph.outputs[0]!.name]!.data as Float32Array;
  expect(y.every(Number.isFinite)).toBe(true);
});
