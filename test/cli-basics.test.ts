import { readdirSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import sharp from 'sharp';
import { zipSync } from 'fflate';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/ir/builder.js';
import { DataType } from '../src/ir/dtype.js';
import { float32Tensor, int64Tensor } from '../src/ir/tensor/values.js';
import { encodeModel } from '../src/serde/encode.js';
import { encodeNpy } from '../src/data/npy.js';
import { randomFloats } from './helpers/ort.js';
import { lowbit } from './helpers/cli.js';
import { tempDir } from './helpers/temp-dir.js';

function writeSmallModel(dir: string): string {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, ['batch', 3, 16, 16]);
  const w = b.initializer('conv_w', float32Tensor([8, 3, 3, 3], randomFloats(216, 1)));
  const y = b.op('Relu', [b.op('Conv', [x, w])]);
  const flat = b.op('Flatten', [y]);
  const fc = b.initializer('fc_w', float32Tensor([8 * 14 * 14, 10], randomFloats(8 * 14 * 14 * 10, 2)));
  b.output(b.op('MatMul', [flat, fc]), DataType.FLOAT, ['batch', 10]);
  const path = join(dir, 'small.onnx');
  writeFileSync(path, encodeModel(b.model));
  return path;
}

/** x [1, n] → Reshape [2, -1] → MatMul [2, 3]: runs only when n is 4, so n = 1 (a made-up size) fails in onnxruntime. */
function writeSizeSensitiveModel(dir: string): string {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [1, 'n']);
  const pairs = b.op('Reshape', [x, b.initializer('shape', int64Tensor([2], [2, -1]))]);
  b.output(b.op('MatMul', [pairs, b.initializer('w', float32Tensor([2, 3], randomFloats(6, 3)))]), DataType.FLOAT, [2, 3]);
  const path = join(dir, 'size-sensitive.onnx');
  writeFileSync(path, encodeModel(b.model));
  return path;
}

describe('generated inputs', () => {
  it('when onnxruntime fails on them, the error gives the shapes lowbit made up and says to pass --dim', () => {
    const dir = tempDir('cli');
    const model = writeSizeSensitiveModel(dir);
    const hint = 'the inputs were generated (x [1, 1]); symbolic dims not given with --dim were set to 1: give real sizes with --dim NAME=SIZE';
    const bench = lowbit(['bench', model, '--runs', '1']);
    expect(bench.code).not.toBe(0);
    expect(bench.stderr).toContain('onnxruntime failed to run the model');
    expect(bench.stderr).toContain(hint);
    const out = join(dir, 'out.onnx');
    const quantized = lowbit(['quantize', model, '-o', out, '--mode', 'weights-int8']);
    expect(quantized.code).not.toBe(0);
    expect(quantized.stderr).toContain(hint);
    expect(quantized.stderr).not.toMatch(/\n\s+at /); // no stack trace
    // With the size given, both run.
    expect(lowbit(['bench', model, '--runs', '1', '--dim', 'n=4']).code).toBe(0);
    expect(lowbit(['quantize', model, '-o', out, '--mode', 'weights-int8', '--dim', 'n=4']).code).toBe(0);
  });
});

describe('lowbit inspect', () => {
  it('prints one JSON object with the documented fields', () => {
    const dir = tempDir('cli');
    const model = writeSmallModel(dir);
    const r = lowbit(['inspect', model, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.producer).toEqual({ name: 'lowbit-builder', version: '' });
    expect(s.opsets).toEqual({ 'ai.onnx': 13 });
    expect(s.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['batch', 3, 16, 16] }]);
    expect(s.ops).toEqual({ Conv: 1, Flatten: 1, MatMul: 1, Relu: 1 });
    expect(s.parameters).toBe(216 + 15680);
    expect(s.bytesByDtype).toEqual({ float32: (216 + 15680) * 4 });
    expect(s.subgraphs).toBe(0);
    expect(s.externalData.used).toBe(false);
    expect(s.quantizable.weightOps).toEqual({ Conv: 1, MatMul: 1 });
    expect(s.quantizable.int4MatMuls).toBe(1);
    expect(s.metadata).toEqual({});
  });

  it('shows the provenance lowbit records in a quantized model', () => {
    const dir = tempDir('cli');
    const model = writeSmallModel(dir);
    const out = join(dir, 'q.onnx');
    expect(lowbit(['quantize', model, '-o', out, '--mode', 'weights-int8', '--no-verify']).code).toBe(0);
    const s = JSON.parse(lowbit(['inspect', out, '--json']).stdout);
    expect(s.metadata['lowbit.mode']).toBe('weights-int8');
    expect(JSON.parse(s.metadata['lowbit.options'])).toMatchObject({ mode: 'weights-int8' });
    expect(lowbit(['inspect', out]).stdout).toContain('metadata lowbit.mode: weights-int8');
  });

  it('prints a readable summary', () => {
    const dir = tempDir('cli');
    const r = lowbit(['inspect', writeSmallModel(dir)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('producer: lowbit-builder');
    expect(r.stdout).toMatch(/x\s+float32\s+\[batch, 3, 16, 16\]/);
    expect(r.stdout).toContain('weights-int8 / int8: Conv ×1, MatMul ×1');
  });
});

describe('lowbit convert', () => {
  it('moves data out and back in, byte-identical to the original', () => {
    const dir = tempDir('cli');
    const model = writeSmallModel(dir);
    const ext = lowbit(['convert', model, '-o', join(dir, 'ext.onnx'), '--external-data', '--json']);
    expect(ext.code).toBe(0);
    const result = JSON.parse(ext.stdout);
    expect(result.output.externalData.bytes).toBe(15680 * 4);
    const back = lowbit(['convert', join(dir, 'ext.onnx'), '-o', join(dir, 'back.onnx'), '--inline-data']);
    expect(back.code).toBe(0);
    expect(readFileSync(join(dir, 'back.onnx')).equals(readFileSync(model))).toBe(true);
  });
});

describe('bad usage and bad input', () => {
  it('exits 2 with usage on an unknown flag', () => {
    const r = lowbit(['inspect', 'x.onnx', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--frobnicate'");
    expect(r.stderr).toContain('--help');
  });

  it('quantize --help says which calibration sources --bias-correction takes', () => {
    const help = lowbit(['quantize', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toContain("or 'random' (not with --bias-correction, which needs real samples)");
  });

  it('exits 2 on a missing required option and on an unknown command', () => {
    expect(lowbit(['convert', 'x.onnx']).code).toBe(2);
    expect(lowbit(['frobnicate']).code).toBe(2);
    expect(lowbit(['convert', 'x.onnx', '-o', 'y.onnx', '--external-data', '--inline-data']).code).toBe(2);
  });

  it.each([
    ['empty', new Uint8Array(0), 'the file is empty'],
    ['truncated', null, 'not a valid ONNX model'],
    ['random', Uint8Array.from({ length: 2000 }, (_, i) => (i * 7919) % 251), 'ONNX model'],
  ])('exits 1 on a %s file, names it, writes nothing', (name, bytes, message) => {
    const dir = tempDir('cli');
    const good = readFileSync(writeSmallModel(dir));
    const path = join(dir, `${name}.onnx`);
    writeFileSync(path, bytes ?? good.subarray(0, good.length >> 1));
    for (const args of [['inspect', path], ['convert', path, '-o', join(dir, 'out.onnx')]]) {
      const r = lowbit(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(path);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(readdirSync(dir)).not.toContain('out.onnx');
  });

  it('refuses to write over the input', () => {
    const dir = tempDir('cli');
    const model = writeSmallModel(dir);
    const before = readFileSync(model);
    const r = lowbit(['convert', model, '-o', model]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refusing to overwrite the input model');
    expect(readFileSync(model).equals(before)).toBe(true);
  });
});

describe('verification', () => {
  it('warns about an output far from float and says where to look', () => {
    const dir = tempDir('cli');
    // y = x·w1 − x·w2 with w2 = w1 + 0.01: a difference of two large activations, which 8-bit
    // activations (a step of about 16 over their range) cannot hold.
    const b = new GraphBuilder(13);
    const x = b.input('x', DataType.FLOAT, [1, 4]);
    const a = b.op('MatMul', [x, b.initializer('w', float32Tensor([4, 2], [1000, 1000.01, 1000, 1000.01, 1000, 1000.01, 1000, 1000.01]))]);
    b.output(b.op('MatMul', [a, b.initializer('d', float32Tensor([2, 1], [-1, 1]))]), DataType.FLOAT, [1, 1]);
    const model = join(dir, 'cancel.onnx');
    writeFileSync(model, encodeModel(b.model));
    const r = lowbit(['quantize', model, '-o', join(dir, 'q.onnx'), '--mode', 'int8', '--calib', 'random', '--samples', '8', '--no-timing', '--json']);
    expect(r.code).toBe(0);
    const warning = JSON.parse(r.stdout).verify.fidelityWarning as string;
    expect(warning).toMatch(/^'\S+' \(cosine -?\d\.\d{4}\) is below cosine 0\.98 against float: `--report FILE\.html` or `lowbit eval OUTPUT --reference MODEL --data SOURCE --per-layer` names the layers that cost most; `--target-cosine 0\.98`/);
    const text = lowbit(['quantize', model, '-o', join(dir, 'q.onnx'), '--mode', 'int8', '--calib', 'random', '--samples', '8', '--no-timing']);
    expect(text.stdout).toContain('warning: ');
    expect(text.stdout).toContain('is below cosine 0.98 against float');
    // The advice leaves out what was used already.
    const calib = join(dir, 'calib');
    mkdirSync(calib);
    for (let i = 0; i < 4; i++) writeFileSync(join(calib, `s${i}.npy`), encodeNpy({ dtype: DataType.FLOAT, dims: [1, 4], data: randomFloats(4, 10 + i, 1) }));
    const tried = lowbit(['quantize', model, '-o', join(dir, 'q.onnx'), '--mode', 'int8', '--calib', calib, '--weight-method', 'gptq', '--bias-correction', '--no-timing', '--json']);
    expect(tried.code, tried.stderr).toBe(0);
    const result = JSON.parse(tried.stdout);
    expect(result.verify.fidelityWarning).toContain('`--target-cosine 0.98`');
    expect(result.verify.fidelityWarning).not.toContain('--weight-method');
    expect(result.verify.fidelityWarning).not.toContain('--bias-correction');
    // Two MatMuls: bias correction had nothing to correct, and says so rather than "0 biases from 0 samples".
    expect(result.notes).toContain('Bias correction changed nothing: none of the 2 layer(s) with a quantized weight is one it corrects: MatMul ×2 (no bias input).');
  });
});

describe('progress lines', () => {
  it('from a .npy folder give the total as from images or random inputs; a .npz folder, of unknown size, keeps one form to the end', () => {
    const dir = tempDir('cli');
    const model = writeSmallModel(dir);
    const npy = join(dir, 'npy');
    mkdirSync(npy);
    writeFileSync(join(npy, 'a.npy'), encodeNpy({ dtype: DataType.FLOAT, dims: [1, 3, 16, 16], data: randomFloats(768, 5, 1) }));
    writeFileSync(join(npy, 'b.npy'), encodeNpy({ dtype: DataType.FLOAT, dims: [3, 3, 16, 16], data: randomFloats(3 * 768, 6, 1) }));
    const args = (calib: string) => ['quantize', model, '-o', join(dir, 'q.onnx'), '--mode', 'int8', '--calib', calib, '--bias-correction', '--no-timing'];
    const fromNpy = lowbit(args(npy));
    expect(fromNpy.code, fromNpy.stderr).toBe(0);
    for (const line of ['calibrating 4/4 samples', 'bias correction: measuring layer inputs, 4/4 samples', 'verifying 4/4']) expect(fromNpy.stderr).toContain(`${line}\n`);
    const npz = join(dir, 'npz');
    mkdirSync(npz);
    for (let i = 0; i < 2; i++) writeFileSync(join(npz, `s${i}.npz`), zipSync({ 'x.npy': encodeNpy({ dtype: DataType.FLOAT, dims: [1, 3, 16, 16], data: randomFloats(768, 7 + i, 1) }) }));
    const fromNpz = lowbit(args(npz));
    expect(fromNpz.code, fromNpz.stderr).toBe(0);
    for (const line of ['calibrating 2 samples', 'bias correction: measuring layer inputs, 2 samples', 'verifying 2']) expect(fromNpz.stderr).toContain(`${line}\n`);
    expect(fromNpz.stderr).not.toContain('2/2');
  });
});

describe('options checked before the work starts', () => {
  const noStack = (r: { stderr: string }) => expect(r.stderr).not.toMatch(/\n\s+at /);

  it('refuses output paths that cannot be written as files, naming the flag, and writes nothing', () => {
    const dir = tempDir('cli');
    const model = writeSmallModel(dir);
    // Exit 2 for a path that is wrong as given, 1 for a folder the machine does not offer.
    const cases: [string[], string, number][] = [
      [['quantize', model, '-o', dir, '--mode', 'weights-int8'], `${dir}: is a folder; -o takes a file path (e.g. ${dir}/model.onnx)`, 2],
      [['quantize', model, '-o', '', '--mode', 'weights-int8'], '-o is empty: give a file path', 2],
      [['quantize', model, '-o', join(dir, 'no', 'out.onnx'), '--mode', 'weights-int8'], `the folder ${join(dir, 'no')} does not exist`, 1],
      [['quantize', model, '-o', join(model, 'out.onnx'), '--mode', 'weights-int8'], `cannot write there: ${model} is a file, not a folder`, 1],
      [['quantize', model, '-o', join(dir, 'q.onnx'), '--mode', 'weights-int8', '--report', join(dir, 'none', 'r.html')], `${join(dir, 'none', 'r.html')}: cannot write there: the folder ${join(dir, 'none')} does not exist`, 1],
      [['convert', model, '-o', dir], `${dir}: is a folder; -o takes a file path`, 2],
      [['eval', model, '--reference', model, '--data', 'random', '--report', dir], `${dir}: is a folder; --report takes a file path (e.g. ${dir}/report.html)`, 2],
      [['demo', '--out', model], `${model}: is a file; --out takes a folder`, 2],
    ];
    for (const [args, message, code] of cases) {
      const r = lowbit(args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toContain(message);
      noStack(r);
    }
    expect(readdirSync(dir).sort()).toEqual(['small.onnx']);
  });

  it('refuses --exclude names, --dim names and --fp16-block op types the model does not have', () => {
    const dir = tempDir('cli');
    const model = writeSmallModel(dir);
    const out = join(dir, 'q.onnx');
    const cases: [string[], string][] = [
      [['quantize', model, '-o', out, '--mode', 'weights-int8', '--exclude', 'conv,no_such_node'], "--exclude: 'conv', 'no_such_node' match no node name or op type of this model (case-sensitive; its op types: Conv, Flatten, MatMul, Relu)"],
      [['quantize', model, '-o', out, '--mode', 'fp16', '--fp16-block', 'resize'], "--fp16-block: 'resize' matches no op type of this model"],
      [['quantize', model, '-o', out, '--mode', 'weights-int8', '--dim', 'batch_size=2'], `--dim: 'batch_size' sets nothing in ${model}: its symbolic dims are 'batch'`],
      [['bench', model, '--dim', 'x:7=2'], "--dim: 'x:7' sets nothing"],
    ];
    for (const [args, message] of cases) {
      const r = lowbit(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
      noStack(r);
    }
    expect(readdirSync(dir)).not.toContain('q.onnx');
    // Known names pass, and generated inputs with a symbolic dim left at 1 get a note.
    // An op type the model lacks only warns: one --exclude list serves several models.
    const ok = lowbit(['quantize', model, '-o', out, '--mode', 'weights-int8', '--exclude', 'MatMul,Gemm', '--no-timing']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("exclude: 'Gemm' matches no node name or op type of this model, so nothing was kept in float for it");
    expect(ok.stderr).toContain('note: generated inputs have symbolic dims set to 1 (x [1, 3, 16, 16])');
    expect(ok.stdout).toContain("excluded by --exclude MatMul");
    const given = lowbit(['quantize', model, '-o', out, '--mode', 'weights-int8', '--dim', 'batch=2', '--no-timing']);
    expect(given.code).toBe(0);
    expect(given.stderr).not.toContain('symbolic dims set to 1');
    // With real samples --dim has nothing to size: said, not silently ignored.
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'a.npy'), encodeNpy({ dtype: DataType.FLOAT, dims: [1, 3, 16, 16], data: randomFloats(768, 5, 1) }));
    const unused = lowbit(['quantize', model, '-o', out, '--mode', 'weights-int8', '--data', data, '--dim', 'batch=2', '--no-timing']);
    expect(unused.code).toBe(0);
    const note = `--dim batch changes nothing here: it sizes generated inputs only, and the samples of ${data} bring their own shapes`;
    expect(unused.stderr).toContain(`note: ${note}`);
    // --json carries it in "notes", as eval and bench do.
    const json = lowbit(['quantize', model, '-o', out, '--mode', 'weights-int8', '--data', data, '--dim', 'batch=2', '--no-timing', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).notes).toContain(note);
    const bench = lowbit(['bench', model, '--data', data, '--dim', 'batch=2', '--runs', '2', '--warmup', '0']);
    expect(bench.code).toBe(0);
    expect(bench.stderr).toContain('note: --dim batch changes nothing here');
    // With real samples a name the model lacks sizes nothing either: the same note, not the unknown-dim error.
    for (const command of [['quantize', model, '-o', out, '--mode', 'weights-int8', '--data', data, '--no-timing'], ['eval', model, '--reference', model, '--data', data], ['bench', model, '--data', data, '--runs', '2', '--warmup', '0']]) {
      const r = lowbit([...command, '--dim', 'batch_size=2', '--json']);
      expect(r.code, `${command[0]}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).notes, command[0]).toContain(`--dim batch_size changes nothing here: it sizes generated inputs only, and the samples of ${data} bring their own shapes`);
    }
    // Nor does it size anything when nothing runs the model.
    const idle = lowbit(['quantize', model, '-o', out, '--mode', 'weights-int8', '--no-verify', '--dim', 'batch=2', '--json']);
    expect(idle.code, idle.stderr).toBe(0);
    expect(JSON.parse(idle.stdout).notes).toContain('--dim batch changes nothing here: it sizes the inputs the model is run on, and with --no-verify and no --calib nothing runs it');
    const generated = lowbit(['eval', model, '--reference', model, '--data', 'random', '--dim', 'batch_size=2']);
    expect(generated.code).toBe(2);
    expect(generated.stderr).toContain(`--dim: 'batch_size' sets nothing in ${model}`);
  });

  it('with --json, a failure is one JSON object on stdout too', () => {
    const dir = tempDir('cli');
    const model = writeSmallModel(dir);
    const r = lowbit(['quantize', model, '-o', join(dir, 'q.onnx'), '--mode', 'int5', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'bad-mode', message: "unknown mode 'int5': choose one of weights-int8, dynamic, fp16, int8, int4" } });
    const unknownFlag = lowbit(['quantize', model, '--mode', 'fp16', '--json']);
    expect(unknownFlag.code).toBe(2);
    expect(JSON.parse(unknownFlag.stdout)).toEqual({ error: { code: 'usage', message: "required option '-o, --output <file>' not specified" } });
    const missing = lowbit(['inspect', join(dir, 'none.onnx'), '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error.message).toContain('none.onnx');
  });

  it('refuses fp16 on a model whose activations are already int8, and allows it on weight-only int8', () => {
    const dir = tempDir('cli');
    const model = writeSmallModel(dir);
    const int8 = join(dir, 'int8.onnx');
    const weights = join(dir, 'w8.onnx');
    expect(lowbit(['quantize', model, '-o', int8, '--mode', 'int8', '--calib', 'random', '--samples', '2', '--no-verify']).code).toBe(0);
    expect(lowbit(['quantize', model, '-o', weights, '--mode', 'weights-int8', '--no-verify']).code).toBe(0);
    const refused = lowbit(['quantize', int8, '-o', join(dir, 'f16.onnx'), '--mode', 'fp16', '--no-verify']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the model is already quantized \(QuantizeLinear ×\d+/);
    expect(lowbit(['quantize', weights, '-o', join(dir, 'w8f16.onnx'), '--mode', 'fp16', '--no-timing']).code).toBe(0);
  });

  it('checks the verification images against the model before the work: nothing is written when they do not fit', async () => {
    const dir = tempDir('cli');
    const b = new GraphBuilder(13);
    b.output(b.op('Relu', [b.input('x', DataType.FLOAT, [1, 3, 'height', 'width'])]), DataType.FLOAT, [1, 3, 'height', 'width']);
    const model = join(dir, 'any-size.onnx');
    writeFileSync(model, encodeModel(b.model));
    const images = join(dir, 'images');
    mkdirSync(images);
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toFile(join(images, 'grey.png'));
    const out = join(dir, 'f16.onnx');
    const r = lowbit(['quantize', model, '-o', out, '--mode', 'fp16', '--data', images]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`images in '${images}': input 'x' has no fixed image size; give one with --preprocess resize=WIDTHxHEIGHT`);
    expect(r.stderr).not.toContain('wrote');
    expect(existsSync(out)).toBe(false);
  });

  it('says an fp16 model is already fp16 and writes nothing, instead of swapping its Casts for new ones', () => {
    const dir = tempDir('cli');
    const half = join(dir, 'f16.onnx');
    expect(lowbit(['quantize', writeSmallModel(dir), '-o', half, '--mode', 'fp16', '--no-verify']).code).toBe(0);
    const again = lowbit(['quantize', half, '-o', join(dir, 'f16-again.onnx'), '--mode', 'fp16', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ noop: true, output: null, message: expect.stringMatching(/the model already computes in float16/) });
    expect(existsSync(join(dir, 'f16-again.onnx'))).toBe(false);
  });

  it('refuses flags the mode does not read, an unknown mode and --percentile without its method', () => {
    const dir = tempDir('cli');
    const model = writeSmallModel(dir);
    const out = join(dir, 'q.onnx');
    const cases: [string[], string][] = [
      [['--mode', 'int5'], "unknown mode 'int5': choose one of weights-int8, dynamic, fp16, int8, int4"],
      [['--mode', 'weights-int8', '--calib-method', 'entropy'], '--calib-method is for --mode int8, not weights-int8'],
      [['--mode', 'weights-int8', '--keep-io-types', 'false', '--block-size', '64'], '--keep-io-types is for --mode fp16; --block-size is for --mode int4, not weights-int8'],
      [['--mode', 'fp16', '--activations', 'int8'], '--activations is for --mode int8, not fp16'],
      [['--mode', 'int8', '--calib', 'random', '--percentile', '99'], '--percentile sets the percentile of --calib-method percentile; the method here is minmax (the default)'],
      [['--mode', 'int4', '--int4-format', 'qdq', '--gather-bits', '8'], '--gather-bits writes com.microsoft GatherBlockQuantized'],
      [['--mode', 'int4', '--block-size', '1024'], '--block-size must be 16, 32, 64, 128 or 256'],
    ];
    for (const [flags, message] of cases) {
      const r = lowbit(['quantize', model, '-o', out, ...flags]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr, flags.join(' ')).toContain(message);
      noStack(r);
    }
    expect(readdirSync(dir)).not.toContain('q.onnx');
  });
});
