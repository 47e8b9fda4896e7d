// `lowbit quantize --mode int4` as a user runs it: bad int4 options (exit 2, the message names the
// option), a small generated model through every format, and tinylm (../shared/models/tinylm;
// skipped with a line saying so when absent): size of the MatMul weights, what stays float and why,
// gptq from calibration windows.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNpy, encodeNpy } from '../src/data/npy.js';
import { GraphBuilder } from '../src/ir/builder.js';
import { DataType } from '../src/ir/dtype.js';
import { float32Tensor, toFloat32 } from '../src/ir/tensor/values.js';
import { quantize } from '../src/quantize/quantize.js';
import { decodeModel } from '../src/serde/decode.js';
import { encodeModel } from '../src/serde/encode.js';
import { UsageError } from '../src/errors.js';
import type { QuantizeOptions } from '../src/quantize/options.js';
import { int4Settings } from '../src/quantize/int4/settings.js';
import { lowbit } from './helpers/cli.js';
import { absentReason, corpusData, skipWithReason } from './helpers/corpus.js';
import { randomFloats } from './helpers/ort.js';
import { tempDir } from './helpers/temp-dir.js';

const TINYLM = process.env.LOWBIT_TINYLM_DIR ?? join(process.cwd(), '../shared/models/tinylm');
const work = tempDir('int4-cli');

/** ids → Gather(embedding [64, 96]) → MatMul [96, 128] → Relu → MatMul [128, 40] (K 128 = 4 blocks of 32). */
function smallModel(): string {
  const b = new GraphBuilder(17);
  const ids = b.input('ids', DataType.INT64, ['batch', 'seq']);
  const table = b.initializer('embedding', float32Tensor([64, 96], randomFloats(64 * 96, 1, 0.5)));
  const h = b.op('Gather', [table, ids]);
  const up = b.op('MatMul', [h, b.initializer('up_w', float32Tensor([96, 128], randomFloats(96 * 128, 2, 0.1)))], { name: 'up' });
  const head = b.op('MatMul', [b.op('Relu', [up]), b.initializer('head_w', float32Tensor([128, 40], randomFloats(128 * 40, 3, 0.1)))], { name: 'head' });
  b.output(head, DataType.FLOAT, ['batch', 'seq', 40]);
  const path = join(work, 'small.onnx');
  writeFileSync(path, encodeModel(b.model));
  return path;
}

const small = smallModel();

function quantizeJson(args: string[]) {
  const r = lowbit(['quantize', ...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const opTypes = (path: string) => [...decodeModel(readFileSync(path)).graph.nodes].map((n) => n.opType);

describe('int4 options', () => {
  // Each bad value is a usage error naming its option (int4Settings); through the CLI for a few,
  // the rest directly (a CLI start costs a second or two on a busy machine).
  const viaCli: [string[], string][] = [
    [['--block-size', '48'], '--block-size'],
    [['--block-size', 'big'], '--block-size'],
    [['--int4-method', 'awq'], '--int4-method'],
    [['--int4-format', 'gguf'], '--int4-format'],
    [['--int4-method', 'gptq'], '--calib'],
  ];
  for (const [flags, named] of viaCli) {
    it(`${flags.join(' ')}: exit code 2, the message names ${named}`, () => {
      const r = lowbit(['quantize', small, '-o', join(work, 'bad.onnx'), '--mode', 'int4', ...flags]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(named);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
  it('other bad values are usage errors (exit code 2) naming the option', () => {
    const cases: [QuantizeOptions, string][] = [
      [{ mode: 'int4', blockSize: 8 }, '--block-size'],
      [{ mode: 'int4', accuracyLevel: 7 }, '--accuracy-level'],
      [{ mode: 'int4', accuracyLevel: 4, int4Format: 'qdq' }, '--accuracy-level'],
      [{ mode: 'int4', gatherBits: 2 as 4 }, '--gather-bits'],
      [{ mode: 'int4', perTensor: true }, '--per-tensor'],
    ];
    for (const [options, named] of cases) {
      expect(() => int4Settings(options), named).toThrow(UsageError);
      expect(() => int4Settings(options)).toThrow(named);
    }
    expect(() => int4Settings({ mode: 'int4' }, true)).toThrow('--calib');
  });
});

describe('int4 on a generated model', () => {
  it('nbits with --gather-bits 4: MatMulNBits and GatherBlockQuantized, verified in onnxruntime', () => {
    const out = join(work, 'small-nbits.onnx');
    const json = quantizeJson([small, '-o', out, '--mode', 'int4', '--gather-bits', '4', '--accuracy-level', '4']);
    expect(opTypes(out).sort()).toEqual(['GatherBlockQuantized', 'MatMulNBits', 'MatMulNBits', 'Relu']);
    expect(json.quantized).toBe(3);
    const node = [...decodeModel(readFileSync(out)).graph.nodes].find((n) => n.name === 'up')!;
    expect([node.domain, node.attrInt('K'), node.attrInt('N'), node.attrInt('bits'), node.attrInt('block_size'), node.attrInt('accuracy_level')]).toEqual(['com.microsoft', 96, 128, 4, 32, 4]);
    for (const o of json.verify.outputs) expect(o.cosine).toBeGreaterThan(0.99);
  });

  it('qdq, asymmetric hqq, block 64: opset-21 blocked DequantizeLinear with uint4 weights and zero points; --exclude keeps the head float and says so', () => {
    const out = join(work, 'small-qdq.onnx');
    const json = quantizeJson([small, '-o', out, '--mode', 'int4', '--int4-format', 'qdq', '--int4-method', 'hqq', '--asymmetric', '--block-size', '64', '--exclude', 'head']);
    const model = decodeModel(readFileSync(out));
    expect(model.opset()).toBe(21);
    const dq = [...model.graph.nodes].find((n) => n.opType === 'DequantizeLinear')!;
    expect(dq.attrInt('block_size')).toBe(64);
    expect(dq.inputs.map((v) => v!.initializer!.dtype)).toEqual([DataType.UINT4, DataType.FLOAT, DataType.UINT4]);
    expect(opTypes(out).filter((t) => t === 'MatMul')).toHaveLength(2);
    expect(json.skipped).toContainEqual(expect.objectContaining({ node: 'head', code: 'excluded' }));
    for (const o of json.verify.outputs) expect(o.cosine).toBeGreaterThan(0.99);
  });
});

it('q4f16: --mode fp16, then --mode int4 on its output, gives MatMulNBits with float16 activations and scales', () => {
  const fp16 = join(work, 'small-fp16.onnx');
  quantizeJson([small, '-o', fp16, '--mode', 'fp16', '--no-verify']);
  const out = join(work, 'small-q4f16.onnx');
  const json = quantizeJson([fp16, '-o', out, '--mode', 'int4', '--asymmetric']);
  expect(json.quantized).toBe(2);
  const nbits = [...decodeModel(readFileSync(out)).graph.nodes].filter((n) => n.opType === 'MatMulNBits');
  expect(nbits).toHaveLength(2);
  for (const n of nbits) expect(n.inputs.slice(1).map((v) => v!.initializer!.dtype)).toEqual([DataType.UINT8, DataType.FLOAT16, DataType.UINT8]);
  for (const o of json.verify.outputs) expect(o.cosine).toBeGreaterThan(0.99);
});

describe('int4 on tinylm', () => {
  it('block 32: MatMul weights ≤ 0.19× of fp32 with scales and zero points; the head kept by --exclude and the attention MatMuls listed with reasons', (ctx) => {
    const absent = absentReason(join(TINYLM, 'model.onnx'), 'tinylm');
    if (absent) return skipWithReason(ctx, `tinylm is absent (${TINYLM}; ../shared/models/tinylm or $LOWBIT_TINYLM_DIR)`);
    const model = join(TINYLM, 'model.onnx');
    for (const extra of [[], ['--asymmetric']]) {
      const json = quantizeJson([model, '-o', join(work, 'tinylm-int4.onnx'), '--mode', 'int4', '--no-verify', ...extra]);
      expect(json.quantized).toBe(17);
      expect(json.weightBytes.after / json.weightBytes.before).toBeLessThanOrEqual(0.19);
    }
    const r = lowbit(['quantize', model, '-o', join(work, 'tinylm-int4-head.onnx'), '--mode', 'int4', '--exclude', '/head/MatMul', '--no-verify']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/left in float \(9\)/);
    expect(r.stdout).toContain("MatMul '/head/MatMul': excluded by --exclude /head/MatMul");
    expect(r.stdout).toMatch(/MatMul '\/blocks\.0\/MatMul': input 1 .* is computed at run time, not a constant weight/);
    expect(opTypes(join(work, 'tinylm-int4-head.onnx')).filter((t) => t === 'MatMulNBits')).toHaveLength(16);
  });

  it('hqq reaches a lower weight reconstruction error than rtn on the real weights', (ctx) => {
    const absent = absentReason(join(TINYLM, 'model.onnx'), 'tinylm');
    if (absent) return skipWithReason(ctx, `tinylm is absent (${TINYLM}; ../shared/models/tinylm or $LOWBIT_TINYLM_DIR)`);
    const error = (method: string) => {
      const json = quantizeJson([join(TINYLM, 'model.onnx'), '-o', join(work, `tinylm-${method}.onnx`), '--mode', 'int4', '--int4-method', method, '--block-size', '128', '--no-verify']);
      const note = (json.notes as string[]).find((n) => n.startsWith(`int4 ${method}`))!;
      return Number(/Σ\(w−ŵ\)²\/Σw² = ([0-9.]+e[+-]?[0-9]+)/.exec(note)![1]);
    };
    expect(error('hqq')).toBeLessThan(0.97 * error('rtn'));
  });

  it('the held-out text rebuilt from Debian\'s fortunes (bench/int4-tinylm.mjs scores all of it): heldout.npy is its first 256 windows', async (ctx) => {
    const absent = absentReason(join(TINYLM, 'heldout.npy'), 'tinylm');
    if (absent) return skipWithReason(ctx, `tinylm is absent (${TINYLM}; ../shared/models/tinylm or $LOWBIT_TINYLM_DIR)`);
    if (!corpusData('fortunes/main') || !corpusData('fortunes/min')) return skipWithReason(ctx, 'the fortunes text is absent (Debian fortunes, fortunes-min); run `npm run corpus`');
    // The benchmark's own code (plain JavaScript over dist/, which `npm test` builds first).
    const lib = await import(pathToFileURL(join(process.cwd(), 'bench/int4-lib.mjs')).href);
    const heldout = lib.loadWindows(join(TINYLM, 'heldout.npy'));
    const all = lib.allHeldoutWindows(heldout);
    expect(all.skip).toBeUndefined();
    expect(all.windows.rows).toBe(2013);
    const npy = parseNpy(readFileSync(join(TINYLM, 'heldout.npy')), 'heldout.npy');
    expect(npy.dims).toEqual([256, 129]);
    expect(all.windows.data.slice(0, 256 * 129)).toEqual(npy.data);
    // Windows overlap by one byte: each starts where the previous one's last prediction target is.
    expect(all.windows.data[129]).toBe(all.windows.data[128]);
  });

  it('renumbered hidden units (bench/int4-numberings.mjs): the same fp32 predictions, other int4 blocks', { timeout: 60_000 }, async (ctx) => {
    const absent = absentReason(join(TINYLM, 'heldout.npy'), 'tinylm');
    if (absent) return skipWithReason(ctx, `tinylm is absent (${TINYLM}; ../shared/models/tinylm or $LOWBIT_TINYLM_DIR)`);
    const lib = await import(pathToFileURL(join(process.cwd(), 'bench/int4-lib.mjs')).href);
    const { permutedTinylm } = await import(pathToFileURL(join(process.cwd(), 'bench/tinylm-permute.mjs')).href);
    const trained = readFileSync(join(TINYLM, 'model.onnx'));
    const renumbered = permutedTinylm(trained, 1);
    const heldout = lib.loadWindows(join(TINYLM, 'heldout.npy'));
    const a = await lib.heldoutScores(trained, heldout, { windows: 8, keep: true });
    const b = await lib.heldoutScores(renumbered, heldout, { windows: 8, keep: true });
    let worst = 0;
    for (let i = 0; i < a.logProbs.length; i++) worst = Math.max(worst, Math.abs(a.logProbs[i] - b.logProbs[i]));
    expect(worst).toBeLessThan(1e-3); // float summation order only
    expect(Math.abs(a.bpb - b.bpb)).toBeLessThan(1e-5);
    // Every weight is moved: no MatMul weight keeps its values in place.
    const weights = (bytes: Uint8Array) => [...decodeModel(bytes).graph.nodes].filter((n) => n.opType === 'MatMul' && n.input(1)?.initializer).map((n) => toFloat32(n.input(1)!.initializer!));
    const before = weights(trained);
    const after = weights(renumbered);
    expect(after).toHaveLength(17);
    after.forEach((w, i) => {
      expect(w.length).toBe(before[i]!.length);
      expect(w).not.toEqual(before[i]);
      expect(Float32Array.from(w).sort()).toEqual(Float32Array.from(before[i]!).sort()); // the same values, elsewhere
    });
    // And rtn's int4 model differs: its blocks group other rows.
    const rtn = async (bytes: Uint8Array) => {
      const model = decodeModel(bytes);
      await quantize(model, { mode: 'int4', blockSize: 128, int4Method: 'rtn', accuracyLevel: 0 });
      return (await lib.heldoutScores(encodeModel(model), heldout, { windows: 8, reference: a.logProbs })).kl;
    };
    const [klTrained, klRenumbered] = [await rtn(trained), await rtn(renumbered)];
    expect(klTrained).toBeGreaterThan(0);
    expect(klRenumbered).toBeGreaterThan(0);
    expect(klRenumbered).not.toBe(klTrained);
  });

  it('gptq from calibration windows: every MatMul weight, reported, verified', { timeout: 120_000 }, (ctx) => {
    const absent = absentReason(join(TINYLM, 'model.onnx'), 'tinylm');
    if (absent) return skipWithReason(ctx, `tinylm is absent (${TINYLM}; ../shared/models/tinylm or $LOWBIT_TINYLM_DIR)`);
    // calib.npy [128, 128] holds one window per row; a folder with it is a calibration source.
    const calib = join(work, 'tinylm-calib');
    mkdirSync(calib, { recursive: true });
    const all = parseNpy(readFileSync(join(TINYLM, 'calib.npy')), 'calib.npy');
    writeFileSync(join(calib, 'calib.npy'), encodeNpy({ dtype: DataType.INT64, dims: [4, 128], data: (all.data as BigInt64Array).slice(0, 4 * 128) }));
    const json = quantizeJson([join(TINYLM, 'model.onnx'), '-o', join(work, 'tinylm-gptq.onnx'), '--mode', 'int4', '--int4-method', 'gptq', '--calib', calib, '--block-size', '128']);
    expect(json.quantized).toBe(17);
    expect(json.notes.join('\n')).toMatch(/GPTQ: 17 weight\(s\), Hessians from 4 calibration sample\(s\)/);
    for (const o of json.verify.outputs) expect(o.cosine).toBeGreaterThan(0.999);
  });
});
