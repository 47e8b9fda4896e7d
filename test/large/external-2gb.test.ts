// Run with `npm run test:large` (about a minute; writes ~2.5 GB to the system temp folder).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { DataType } from '../../src/ir/dtype.js';
import { readModelFile, writeModelFile } from '../../src/node/model-files.js';
import { GeneratedTensor } from '../helpers/generated-tensor.js';
import { runOnce } from '../helpers/ort.js';

const HIDDEN = 8192;
const WIDE = 16384;
const LAYERS = 5; // 5 × 8192 × 16384 × 4 B = 2.5 GiB of weights: past protobuf's 2 GiB limit
const dir = mkdtempSync(join(tmpdir(), 'lowbit-2gb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('writes a model over 2 GB with external data that onnxruntime runs and lowbit reads back', async () => {
  const b = new GraphBuilder(17);
  let h = b.input('x', DataType.FLOAT, [1, HIDDEN]);
  const weights: GeneratedTensor[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const [rows, cols] = i % 2 === 0 ? [HIDDEN, WIDE] : [WIDE, HIDDEN];
    const w = new GeneratedTensor([rows, cols], 100 + i, 1 / Math.sqrt(rows));
    weights.push(w);
    h = b.op('MatMul', [h, b.initializer(`w${i}`, w)]);
  }
  b.output(h, DataType.FLOAT, [1, LAYERS % 2 === 0 ? HIDDEN : WIDE]);

  // 'auto' must choose external data by itself: inline would pass the 2 GiB protobuf limit.
  const written = writeModelFile(b.model, join(dir, 'big.onnx'));
  expect(written.externalDataPath).toBe(join(dir, 'big.onnx.data'));
  expect(statSync(written.externalDataPath!).size).toBeGreaterThan(2 ** 31);
  expect(written.bytes).toBeLessThan(4096);

  // onnxruntime loads it from the path (external data next to it) and computes the chain.
  const x = Float32Array.from({ length: HIDDEN }, (_, i) => Math.sin(i));
  const outputs = await runOnce(written.path, { x: { dtype: DataType.FLOAT, dims: [1, HIDDEN], data: x } }, 'all');
  const y = outputs[b.model.graph.outputs[0]!.name]!.data as Float32Array;

  // The same chain in float64 from the generated weights.
  let v = Float64Array.from(x);
  for (const w of weights) {
    const [rows, cols] = w.dims as [number, number];
    const m = w.values();
    const next = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const a = v[r]!;
      const row = r * cols;
      for (let c = 0; c < cols; c++) next[c]! += a * m[row + c]!;
    }
    v = next;
  }
  let maxErr = 0;
  let maxRef = 0;
  for (let i = 0; i < v.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(v[i]! - y[i]!));
    maxRef = Math.max(maxRef, Math.abs(v[i]!));
  }
  expect(maxErr / maxRef).toBeLessThan(1e-4);

  // lowbit reads it back lazily, and each tensor's bytes are the generated ones.
  const loaded = readModelFile(written.path);
  const inits = [...loaded.model.graph.initializers.values()];
  expect(inits).toHaveLength(LAYERS);
  inits.forEach((v, i) => {
    expect(v.initializer!.kind).toBe('external');
    expect(Buffer.from(v.initializer!.bytes()).equals(Buffer.from(weights[i]!.bytes()))).toBe(true);
  });
});
