// The circle of the report, as a user meets it, through the CLI's own entry point (runCli, in
// this process, so it runs the sources under test rather than a build): `quantize` refuses an
// int4 model and says to run `convert --to fp32`; that command now turns it back into float32
// with no warning, and `quantize --mode int4` then accepts the result.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { runCli } from '../../cli/program.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { float32Tensor } from '../../ir/tensor/values.js';
import { encodeModel } from '../../serde/encode.js';
import { randomFloats } from '../../../test/helpers/ort.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

const work = tempDir('to-fp32-int4-cli');
let stdout = '';
let stderr = '';

beforeEach(() => {
  stdout = stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

async function lowbit(args: string[]): Promise<number> {
  stdout = stderr = '';
  return runCli(args);
}

/** ids → Gather [32, 64] → MatMul [64, 32] → Relu → MatMul [32, 16]. */
function floatModel(): string {
  const b = new GraphBuilder(17);
  const ids = b.input('ids', DataType.INT64, ['batch', 'seq']);
  const h = b.op('Gather', [b.initializer('embedding', float32Tensor([32, 64], randomFloats(32 * 64, 1, 0.5))), ids]);
  const up = b.op('MatMul', [h, b.initializer('up_w', float32Tensor([64, 32], randomFloats(64 * 32, 2, 0.2)))], { name: 'up' });
  b.output(b.op('MatMul', [b.op('Relu', [up]), b.initializer('head_w', float32Tensor([32, 16], randomFloats(32 * 16, 3, 0.2)))], { name: 'head' }), DataType.FLOAT, ['batch', 'seq', 16]);
  const path = join(work, 'float.onnx');
  writeFileSync(path, encodeModel(b.model));
  return path;
}

it('quantize --mode int4 → (refused again) → convert --to fp32 → quantize --mode int4 again', async () => {
  const source = floatModel();
  const q4 = join(work, 'q4.onnx');
  expect(await lowbit(['quantize', source, '-o', q4, '--mode', 'int4', '--gather-bits', '4', '--no-verify', '--json']), stderr).toBe(0);
  expect(JSON.parse(stdout).quantized).toBe(3);

  expect(await lowbit(['quantize', q4, '-o', join(work, 'twice.onnx'), '--mode', 'int4', '--no-verify'])).toBe(1);
  expect(stderr).toContain('already quantized');
  expect(stderr).toContain('--to fp32');

  const fp32 = join(work, 'fp32.onnx');
  expect(await lowbit(['convert', q4, '-o', fp32, '--to', 'fp32', '--json']), stderr).toBe(0);
  const converted = JSON.parse(stdout);
  expect(converted.to).toBe('fp32');
  expect(converted.notes.filter((n: { severity: string }) => n.severity !== 'info')).toEqual([]);
  expect(converted.notes.filter((n: { code: string }) => n.code === 'fp32-undone').map((n: { reason: string }) => n.reason).sort()).toEqual([
    '1× GatherBlockQuantized → Gather',
    '2× MatMulNBits → MatMul',
  ]);

  expect(await lowbit(['quantize', fp32, '-o', join(work, 'q4-again.onnx'), '--mode', 'int4', '--gather-bits', '4', '--no-verify', '--json']), stderr).toBe(0);
  expect(JSON.parse(stdout).quantized).toBe(3);
});
