import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/ir/builder.js';
import { DataType } from '../src/ir/dtype.js';
import { float32Tensor } from '../src/ir/tensor/values.js';
import { encodeModel } from '../src/serde/encode.js';
import { randomFloats } from './helpers/ort.js';
import { lowbit } from './helpers/cli.js';
import { readModelFile } from '../src/node/model-files.js';
import { tempDir } from './helpers/temp-dir.js';

/** Three named Convs with Relus between them. */
function writeConvStack(dir: string): string {
  const b = new GraphBuilder(13);
  let x = b.input('x', DataType.FLOAT, ['batch', 4, 16, 16]);
  for (const [i, name] of ['c1', 'c2', 'c3'].entries()) {
    const w = b.initializer(`${name}_w`, float32Tensor([4, 4, 3, 3], randomFloats(144, 10 + i, 0.4)));
    const conv = b.op('Conv', [x, w, b.initializer(`${name}_b`, float32Tensor([4], randomFloats(4, 20 + i, 0.1)))], { name, attributes: {} });
    x = i < 2 ? b.op('Relu', [conv], { name: `${name}_relu` }) : conv;
  }
  b.output(x, DataType.FLOAT, ['batch', 4, 10, 10]);
  const path = join(dir, 'stack.onnx');
  writeFileSync(path, encodeModel(b.model));
  return path;
}

/** A fresh folder holding the conv stack: outputs go next to it. */
function convStackInTempFolder(): { dir: string; model: string } {
  const dir = tempDir('stack');
  return { dir, model: writeConvStack(dir) };
}

describe('lowbit quantize --target-cosine', () => {
  it('keeps the costliest Convs in float until the output cosine on the calibration samples reaches the target, lists them, and times the result', () => {
    const { dir, model } = convStackInTempFolder();
    const r = lowbit(['quantize', model, '-o', join(dir, 'out.onnx'), '--mode', 'int8', '--calib', 'random', '--dim', 'batch=1', '--samples', '3', '--target-cosine', '0.99999', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const target = report.targetCosine;
    expect(target.target).toBe(0.99999);
    expect(target.startCosine).toBeLessThan(0.99999);
    expect(target.cosine).toBeGreaterThanOrEqual(target.startCosine);
    // At most a quarter of the 3 (one) may stay in float, and only
    // while the model still times faster than float (on a model this small it may not).
    expect(target.kept.length).toBeLessThanOrEqual(1);
    expect(typeof target.latencyRatio).toBe('number');
    const sensitive = report.skipped.filter((d: { code: string }) => d.code === 'sensitive');
    expect(sensitive.map((d: { node: string }) => d.node)).toEqual(target.kept.map((k: { node: string }) => k.node));
    for (const d of sensitive) expect(d.reason).toMatch(/quantized on its own it lowers the output cosine to 0\.\d{5}/);
    expect(report.quantized).toBe(3 - target.kept.length);
  });

  it('exits 2 on a target outside (0, 1] or with a mode other than int8', () => {
    const { dir, model } = convStackInTempFolder();
    expect(lowbit(['quantize', model, '-o', join(dir, 'a.onnx'), '--mode', 'int8', '--calib', 'random', '--target-cosine', '1.5']).code).toBe(2);
    expect(lowbit(['quantize', model, '-o', join(dir, 'b.onnx'), '--mode', 'dynamic', '--target-cosine', '0.98']).code).toBe(2);
    // --float-where-faster is a search of its own: not with --target-cosine, and only for int8 with --calib.
    const both = lowbit(['quantize', model, '-o', join(dir, 'c.onnx'), '--mode', 'int8', '--calib', 'random', '--target-cosine', '0.98', '--float-where-faster']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--float-where-faster is for --mode int8 with --calib, and not with --target-cosine \(got --mode int8 with --target-cosine\)/);
    expect(lowbit(['quantize', model, '-o', join(dir, 'd.onnx'), '--mode', 'weights-int8', '--float-where-faster']).code).toBe(2);
    expect(existsSync(join(dir, 'c.onnx')) || existsSync(join(dir, 'd.onnx'))).toBe(false);
  });
});

describe('lowbit quantize --wide-activations', () => {
  it('gives the named tensors 16-bit Q/DQ (a Conv output read by a Relu stands for the Relu output), and says so', () => {
    const { dir, model } = convStackInTempFolder();
    const r = lowbit(['quantize', model, '-o', join(dir, 'w.onnx'), '--mode', 'int8', '--calib', 'random', '--dim', 'batch=1', '--samples', '3', '--wide-activations', 'c1_out', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.notes.join(' ')).toMatch(/16-bit activations for 1 tensor\(s\) \(c1_relu/);
    expect(existsSync(join(dir, 'w.onnx'))).toBe(true);
    // the calibration flags are recorded, for the re-quantize command that eval --per-layer prints
    const metadata = new Map(readModelFile(join(dir, 'w.onnx')).model.metadataProps);
    expect(JSON.parse(metadata.get('lowbit.calibration')!)).toEqual({ calib: 'random', samples: '3', dim: 'batch=1' });
    expect(JSON.parse(metadata.get('lowbit.options')!).wideActivations).toEqual(['c1_out']);
  });

  it('exits 2, naming the tensor, when it is not a quantized activation, and with a mode other than int8; writes nothing', () => {
    const { dir, model } = convStackInTempFolder();
    const unknown = lowbit(['quantize', model, '-o', join(dir, 'a.onnx'), '--mode', 'int8', '--calib', 'random', '--dim', 'batch=1', '--samples', '2', '--wide-activations', 'nowhere']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--wide-activations: 'nowhere' is not an activation tensor/);
    expect(existsSync(join(dir, 'a.onnx'))).toBe(false);
    const empty = lowbit(['quantize', model, '-o', join(dir, 'c.onnx'), '--mode', 'int8', '--calib', 'random', '--wide-activations', ',']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--wide-activations needs at least one tensor name/);
    const dynamic = lowbit(['quantize', model, '-o', join(dir, 'b.onnx'), '--mode', 'dynamic', '--wide-activations', 'c1']);
    expect(dynamic.code).toBe(2);
    expect(dynamic.stderr).toMatch(/--wide-activations is for --mode int8/);
  });
});
