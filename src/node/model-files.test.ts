import { readFileSync, readdirSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { create, toBinary, fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, StringStringEntryProtoSchema, TensorProto_DataLocation } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../ir/builder.js';
import { DataType } from '../ir/dtype.js';
import { float32Tensor, toFloat32 } from '../ir/tensor/values.js';
import { encodeModel } from '../serde/encode.js';
import { encodeNpy } from '../data/npy.js';
import { ExternalDataError, ModelFormatError, OutputError } from '../errors.js';
import { openSource, type SourceOptions } from './data-sources.js';
import sharp from 'sharp';
import { tempDir } from '../../test/helpers/temp-dir.js';
import { readModelFile, writeModelFile } from './model-files.js';
import { randomFloats, runOnce, sameBits } from '../../test/helpers/ort.js';

function matmulModel(k = 64, n = 32) {
  const b = new GraphBuilder(17);
  const x = b.input('x', DataType.FLOAT, [1, k]);
  const w = b.initializer('w', float32Tensor([k, n], randomFloats(k * n, 7)));
  const tiny = b.initializer('tiny', float32Tensor([n], randomFloats(n, 8)));
  const y = b.op('Add', [b.op('MatMul', [x, w]), tiny]);
  b.output(y, DataType.FLOAT, [1, n]);
  return b.model;
}

/** Write a model whose tensor 'w' is external with the given external_data entries. */
function writeWithExternalEntries(dir: string, entries: Record<string, string>, data?: Uint8Array): string {
  const proto = fromBinary(ModelProtoSchema, encodeModel(matmulModel()));
  const w = proto.graph!.initializer.find((t) => t.name === 'w')!;
  w.rawData = new Uint8Array(0);
  w.dataLocation = TensorProto_DataLocation.EXTERNAL;
  w.externalData = Object.entries(entries).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value }));
  const path = join(dir, 'model.onnx');
  writeFileSync(path, toBinary(ModelProtoSchema, proto));
  if (data) writeFileSync(join(dir, entries.location!), data);
  return path;
}

describe('external data', () => {
  it('writes tensors to <output>.data that onnxruntime loads, and reads them back lazily', async () => {
    const dir = tempDir('files');
    const model = matmulModel();
    const written = writeModelFile(model, join(dir, 'out.onnx'), { externalData: 'always' });
    expect(written.externalDataPath).toBe(join(dir, 'out.onnx.data'));
    expect(statSync(written.externalDataPath!).size).toBe(64 * 32 * 4); // 'tiny' (128 B) stays inline
    expect(written.bytes).toBeLessThan(1024);

    const loaded = readModelFile(written.path);
    const w = loaded.model.graph.initializers.get('w')!.initializer!;
    expect(w.kind).toBe('external');
    expect(Array.from(toFloat32(w))).toEqual(Array.from(toFloat32(model.graph.initializers.get('w')!.initializer!)));

    const feeds = { x: { dtype: DataType.FLOAT, dims: [1, 64], data: randomFloats(64, 9) } };
    const inline = await runOnce(encodeModel(model), feeds);
    const external = await runOnce(written.path, feeds);
    const out = model.graph.outputs[0]!.name;
    expect(sameBits(inline[out]!, external[out]!)).toBe(true);

    // And back inline: identical bytes to encoding the in-memory model.
    const back = writeModelFile(loaded.model, join(dir, 'inline.onnx'), { externalData: 'never' });
    expect(readFileSync(back.path).equals(Buffer.from(encodeModel(model)))).toBe(true);
  });

  it('keeps external data external by default when the input had it', () => {
    const dir = tempDir('files');
    const first = writeModelFile(matmulModel(), join(dir, 'a.onnx'), { externalData: 'always' });
    const loaded = readModelFile(first.path);
    const second = writeModelFile(loaded.model, join(dir, 'b.onnx'), { inputHadExternalData: loaded.externalFiles.length > 0 });
    expect(second.externalDataPath).toBe(join(dir, 'b.onnx.data'));
    expect(readFileSync(second.externalDataPath!).equals(readFileSync(first.externalDataPath!))).toBe(true);
  });

  it.each([
    ['a missing file', { location: 'gone.bin' }, undefined, /external data file 'gone\.bin' is missing/],
    ['a file too short', { location: 'short.bin', offset: '0', length: String(64 * 32 * 4) }, new Uint8Array(100), /is too short: needs bytes 0\.\.8192, file has 100/],
    ['a path climbing out', { location: '../../etc/passwd' }, undefined, /refusing external data location '\.\.\/\.\.\/etc\/passwd': the location points outside the model's folder/],
    ['an absolute path', { location: '/etc/passwd' }, undefined, /refusing external data location '\/etc\/passwd': the location is an absolute path/],
    ['a bad offset', { location: 'w.bin', offset: 'x12' }, new Uint8Array(8192), /offset 'x12' is not a non-negative integer/],
  ])('refuses %s with a message naming the file and tensor', (_what, entries, data, message) => {
    const dir = tempDir('files');
    const path = writeWithExternalEntries(dir, entries as Record<string, string>, data);
    let error: unknown;
    try {
      readModelFile(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExternalDataError);
    expect((error as Error).message).toContain(`${path}: tensor 'w'`);
    expect((error as Error).message).toMatch(message);
  });
});

describe('bad model files', () => {
  const good = encodeModel(matmulModel());
  it.each([
    ['an empty file', new Uint8Array(0), /the file is empty/],
    ['a truncated model', good.subarray(0, Math.floor(good.byteLength * 0.6)), /not a valid ONNX model|needs \d+ bytes of raw_data/],
    ['random bytes', Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24), /not a valid ONNX model|not an ONNX model/],
    ['a text file', new TextEncoder().encode('hello, this is not a model\n'), /not a valid ONNX model|not an ONNX model/],
  ])('refuses %s', (_what, bytes, message) => {
    const dir = tempDir('files');
    const path = join(dir, 'bad.onnx');
    writeFileSync(path, bytes);
    expect(() => readModelFile(path)).toThrow(ModelFormatError);
    expect(() => readModelFile(path)).toThrow(message);
    expect(() => readModelFile(path)).toThrow(path);
  });

  it('refuses a node whose input is never defined, naming the node and the value', () => {
    const proto = fromBinary(ModelProtoSchema, good);
    proto.graph!.node[0]!.input[0] = 'ghost';
    const dir = tempDir('files');
    const path = join(dir, 'ghost.onnx');
    writeFileSync(path, toBinary(ModelProtoSchema, proto));
    expect(() => readModelFile(path)).toThrow(/MatMul '.*' in graph 'main' reads 'ghost', which is never defined/);
  });

  it('names a missing file', () => {
    expect(() => readModelFile('/nonexistent/model.onnx')).toThrow('/nonexistent/model.onnx: cannot read the model: no such file');
  });

  it('says which argument is wrong when a library caller swaps or mistypes them', () => {
    const model = new GraphBuilder(13).model;
    expect(() => writeModelFile('out.onnx' as never, model as never)).toThrow('writeModelFile() takes (model, path), got (a string, object)');
    expect(() => openSource('calib/', 'net.onnx' as never)).toThrow("openSource() takes the Model the samples feed (readModelFile(path).model), got the string 'net.onnx'");
  });

  it('reads images with the preprocess fields given over the defaults, or with --preprocess text', async () => {
    const dir = tempDir('images');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toFile(join(dir, 'grey.png'));
    const b = new GraphBuilder(13);
    b.output(b.op('Relu', [b.input('x', DataType.FLOAT, [1, 3, 8, 8])]), DataType.FLOAT, [1, 3, 8, 8]);
    const first = async (preprocess: SourceOptions["preprocess"]) => {
      for await (const feeds of openSource(dir, b.model, { preprocess }).samples()) return feeds.x!.data as Float32Array;
      throw new Error('no sample');
    };
    // Only mean and std given: pixels still scale by 1/255 (a partial object gave NaN before).
    const partial = await first({ mean: [0.5], std: [0.5] });
    expect(partial[0]).toBeCloseTo((128 / 255 - 0.5) / 0.5, 6);
    expect(await first('mean=0.5,std=0.5')).toEqual(partial);
    expect(() => openSource(dir, b.model, { preprocess: { mean: 0.5 as never } })).toThrow('preprocess.mean takes an array of numbers, got 0.5');
  });
});

describe('a folder of .npy files', () => {
  it('knows how many samples it gives before reading them, as an image folder does, so that progress lines show the total', async () => {
    const dir = tempDir('npy-size');
    const array = (dims: number[]) => encodeNpy({ dtype: DataType.FLOAT, dims, data: randomFloats(dims.reduce((a, b) => a * b, 1), 7) });
    writeFileSync(join(dir, 'a.npy'), array([1, 3, 4, 4])); // one sample
    writeFileSync(join(dir, 'b.npy'), array([3, 3, 4, 4])); // three along the batch axis
    writeFileSync(join(dir, 'c.npy'), array([2, 1, 3, 4, 4])); // two along a leading axis
    writeFileSync(join(dir, 'd.npy'), array([3, 4, 4])); // one saved without its batch axis
    const b = new GraphBuilder(13);
    b.output(b.op('Relu', [b.input('x', DataType.FLOAT, ['batch', 3, 4, 4])]), DataType.FLOAT, ['batch', 3, 4, 4]);
    const source = openSource(dir, b.model);
    expect(source.size).toBe(7);
    let read = 0;
    for await (const _ of source.samples()) read++;
    expect(read).toBe(7);
    expect(openSource(dir, b.model, { limit: 3 }).size).toBe(3);
    // A header it cannot read leaves the count unknown; reading the samples names the file.
    writeFileSync(join(dir, 'e.npy'), 'not an array');
    const broken = openSource(dir, b.model);
    expect(broken.size).toBeUndefined();
    await expect((async () => {
      for await (const _ of broken.samples());
    })()).rejects.toThrow('e.npy: not a usable .npy file: missing the \\x93NUMPY magic');
  });
});

describe('writing safely', () => {
  it('refuses to overwrite the input or its external data, leaving them untouched', () => {
    const dir = tempDir('files');
    const first = writeModelFile(matmulModel(), join(dir, 'in.onnx'), { externalData: 'always' });
    const before = readFileSync(first.path);
    const loaded = readModelFile(first.path);
    expect(() => writeModelFile(loaded.model, first.path, { protect: [first.path, ...loaded.externalFiles] })).toThrow(OutputError);
    expect(readFileSync(first.path).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['in.onnx', 'in.onnx.data']);
  });

  it('reports an unwritable folder and leaves nothing behind', () => {
    const dir = tempDir('files');
    expect(() => writeModelFile(matmulModel(), join(dir, 'missing', 'x.onnx'))).toThrow(/the folder .*missing does not exist/);
    if (process.getuid?.() !== 0) {
      chmodSync(dir, 0o500);
      expect(() => writeModelFile(matmulModel(), join(dir, 'x.onnx'))).toThrow(/is not writable/);
      chmodSync(dir, 0o700);
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});
