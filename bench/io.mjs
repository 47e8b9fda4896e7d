// Reading and writing speed and memory on the 88 MB ISNet model (imgly `medium`).
//   node bench/io.mjs [runs]
// Reading must copy no tensor payload (array-buffer memory grows by the file's size only) and take a
// small fraction of the time needed to read the bytes; writing must run near the disk's own speed.
import { readFileSync, writeFileSync, mkdtempSync, rmSync, renameSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel, encodeModel } from '../dist/index.js';
import { readModelFile, writeModelFile } from '../dist/index-node.js';
import { machine, median, requireModel, table, mb } from './lib.mjs';

const runs = Number(process.argv[2] ?? 7);
const path = requireModel('imgly-isnet-medium');
const dir = mkdtempSync(join(tmpdir(), 'lowbit-bench-io-'));

function time(fn) {
  const t = performance.now();
  const result = fn();
  return [performance.now() - t, result];
}

// Memory: array-buffer bytes before and after decoding (gc'd, so only what is still referenced counts).
global.gc?.();
const base = process.memoryUsage().arrayBuffers;
const bytes = readFileSync(path);
global.gc?.();
const afterRead = process.memoryUsage().arrayBuffers;
let model = decodeModel(bytes, { file: path });
global.gc?.();
const afterDecode = process.memoryUsage().arrayBuffers;
let views = 0;
let copies = 0;
for (const v of model.graph.initializers.values()) (v.initializer.bytes().buffer === bytes.buffer ? views++ : copies++);

const readBytes = [];
const decode = [];
const load = [];
const encode = [];
const writeOurs = [];
const writeRaw = [];
for (let i = 0; i < runs; i++) {
  readBytes.push(time(() => readFileSync(path))[0]);
  decode.push(time(() => decodeModel(bytes, { file: path }))[0]);
  load.push(time(() => readModelFile(path))[0]);
  encode.push(time(() => encodeModel(model))[0]);
  // Writing: ours (encode + write to a temp file + rename) against the same bytes written the same
  // way (temp file + rename over the previous output), so both pay the same file-system costs.
  writeOurs.push(time(() => writeModelFile(model, join(dir, 'ours.onnx'), { externalData: 'never' }))[0]);
  writeRaw.push(
    time(() => {
      writeFileSync(join(dir, 'raw.tmp'), bytes);
      renameSync(join(dir, 'raw.tmp'), join(dir, 'raw.onnx'));
    })[0],
  );
}
const r = median(readBytes);
const rows = [
  ['read the file\'s bytes (fs.readFileSync)', r.toFixed(1), '1.00'],
  ['decode bytes → IR (decodeModel)', median(decode).toFixed(1), (median(decode) / r).toFixed(2)],
  ['readModelFile (read + decode)', median(load).toFixed(1), (median(load) / r).toFixed(2)],
  ['encode IR → bytes (encodeModel)', median(encode).toFixed(1), (median(encode) / r).toFixed(2)],
  ['write the same bytes (fs.writeFileSync + rename)', median(writeRaw).toFixed(1), (median(writeRaw) / r).toFixed(2)],
  ['writeModelFile (encode + write + rename)', median(writeOurs).toFixed(1), (median(writeOurs) / r).toFixed(2)],
];
rmSync(dir, { recursive: true, force: true });
console.log(`### Model I/O: imgly-isnet-medium (${mb(bytes.byteLength)} MB), median of ${runs}\n`);
console.log(`Machine: ${machine()}. Command: \`node --expose-gc bench/io.mjs ${runs}\`\n`);
console.log(table(['step', 'ms', 'ratio to reading the bytes'], rows));
console.log(`\nwriteModelFile vs writing the same bytes raw: ${(median(writeOurs) / median(writeRaw)).toFixed(2)}×; throughput ${(bytes.byteLength / 1e6 / (median(writeOurs) / 1000)).toFixed(0)} MB/s vs ${(bytes.byteLength / 1e6 / (median(writeRaw) / 1000)).toFixed(0)} MB/s raw.`);
console.log(`\nMemory (array buffers): file bytes ${mb(afterRead - base)} MB; decoding added ${mb(afterDecode - afterRead)} MB. Initializer payloads that are views of the file: ${views}; copies: ${copies}.`);
