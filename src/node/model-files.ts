import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, writevSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Model } from '../ir/model.js';
import { externalLocations } from '../ir/walk.js';
import { decodeModel } from '../serde/decode.js';
import { encodeModelChunks, inlinePayloadBytes, PROTOBUF_LIMIT, type ByteSink } from '../serde/encode.js';
import { totalLength } from '../serde/chunked-writer.js';
import { ModelFormatError, OutputError, UsageError, errorMessage } from '../errors.js';
import { FolderDataSource } from './external-source.js';
import { checkWritableFolder } from './output-paths.js';

export interface LoadedModel {
  model: Model;
  path: string;
  bytes: number;
  /** External data files the model reads (absolute paths). */
  externalFiles: string[];
}

/** Read an ONNX file; external data next to it is read lazily, when a tensor is touched. */
export function readModelFile(path: string): LoadedModel {
  let bytes: Uint8Array;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new ModelFormatError(`${path}: is a folder, not an ONNX file`, { code: 'not-a-file', file: path });
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : errorMessage(error);
    throw new ModelFormatError(`${path}: cannot read the model: ${reason}`, { code: 'unreadable', file: path, cause: error });
  }
  const folder = dirname(resolve(path));
  const model = decodeModel(bytes, { file: path, externalData: new FolderDataSource(folder) });
  const files = [...externalLocations(model)].map((location) => resolve(folder, location));
  return { model, path, bytes: bytes.byteLength, externalFiles: files };
}

export type ExternalDataMode = 'auto' | 'always' | 'never';

export interface WriteOptions {
  /** auto: external when the input had it or the model would pass protobuf's 2 GiB limit. */
  externalData?: ExternalDataMode;
  /** Whether the model being written came from a file with external data (for 'auto'). */
  inputHadExternalData?: boolean;
  /** Files that must not be overwritten (the input model and its external data). */
  protect?: string[];
  /** Tensors under this many bytes stay inline when writing external data. */
  threshold?: number;
}

export interface WrittenModel {
  path: string;
  bytes: number;
  externalDataPath?: string;
  externalDataBytes?: number;
}

/**
 * Write a model safely: into temporary files first, renamed into place only when complete, so a
 * failure never leaves a half-written model or touches the input.
 */
export function writeModelFile(model: Model, path: string, options: WriteOptions = {}): WrittenModel {
  if (!(model instanceof Model) || typeof path !== 'string') throw new UsageError(`writeModelFile() takes (model, path), got (${typeof model === 'string' ? 'a string' : typeof model}, ${typeof path === 'string' ? 'a string' : typeof path})`, { code: 'bad-option' });
  const target = resolve(path);
  const protect = new Set((options.protect ?? []).map((p) => resolve(p)));
  if (protect.has(target)) throw new OutputError(`${path}: refusing to overwrite the input model; choose another output path`, { code: 'output-is-input', file: path });
  const folder = dirname(target);
  checkWritableFolder(folder, path);

  const mode = options.externalData ?? 'auto';
  const tooBig = inlinePayloadBytes(model) > PROTOBUF_LIMIT - (64 << 20);
  const external = mode === 'always' || (mode === 'auto' && (tooBig || options.inputHadExternalData === true));
  if (mode === 'never' && tooBig) {
    throw new OutputError(`${path}: the model's tensors pass protobuf's 2 GiB limit and cannot be written inline; use external data`, { code: 'too-large', file: path });
  }

  const suffix = `.tmp-${process.pid}-${Date.now()}`;
  const temps: string[] = [];
  try {
    let externalInfo: { location: string; path: string; bytes: number } | undefined;
    let chunks: Uint8Array[];
    if (external) {
      const location = `${basename(target)}.data`;
      const dataPath = resolve(folder, location);
      if (protect.has(dataPath)) {
        throw new OutputError(`${path}: its external data file ${dataPath} is the input's own external data; choose another output name`, { code: 'output-is-input', file: path });
      }
      const dataTemp = dataPath + suffix;
      temps.push(dataTemp);
      const sink = new FileSink(dataTemp);
      try {
        chunks = encodeModelChunks(model, { external: { location, sink, ...(options.threshold !== undefined ? { threshold: options.threshold } : {}) } });
      } finally {
        sink.close();
      }
      externalInfo = { location, path: dataPath, bytes: sink.written };
    } else {
      chunks = encodeModelChunks(model);
    }
    const bytes = totalLength(chunks);
    if (bytes > PROTOBUF_LIMIT) {
      throw new OutputError(`${path}: the encoded model is ${bytes} bytes, over protobuf's 2 GiB limit; write it with external data`, { code: 'too-large', file: path });
    }
    const modelTemp = target + suffix;
    temps.push(modelTemp);
    writeChunks(modelTemp, chunks);
    if (externalInfo) renameSync(externalInfo.path + suffix, externalInfo.path);
    renameSync(modelTemp, target);
    temps.length = 0;
    return {
      path: target,
      bytes,
      ...(externalInfo ? { externalDataPath: externalInfo.path, externalDataBytes: externalInfo.bytes } : {}),
    };
  } catch (error) {
    if (error instanceof OutputError) throw error;
    throw new OutputError(`${path}: writing the model failed: ${errorMessage(error)}`, { code: 'write-failed', file: path, cause: error });
  } finally {
    for (const t of temps) if (existsSync(t)) unlinkSync(t);
  }
}

function writeChunks(path: string, chunks: Uint8Array[]): void {
  const sink = new FileSink(path);
  try {
    sink.writeMany(chunks);
  } finally {
    sink.close();
  }
}

/** Appends external data to a file as tensors are encoded, so no second copy is built in memory. */
class FileSink implements ByteSink {
  private readonly fd: number;
  written = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(this.fd, bytes, done, bytes.byteLength - done);
    this.written += bytes.byteLength;
  }

  /** Many chunks with few system calls (writev, in batches under the usual IOV_MAX of 1024). */
  writeMany(chunks: Uint8Array[]): void {
    for (let i = 0; i < chunks.length; i += 1024) {
      const batch = chunks.slice(i, i + 1024);
      const want = batch.reduce((n, c) => n + c.byteLength, 0);
      const wrote = writevSync(this.fd, batch);
      if (wrote === want) this.written += wrote;
      else {
        // A short write: finish chunk by chunk from where it stopped.
        let skip = wrote;
        this.written += wrote;
        for (const c of batch) {
          if (skip >= c.byteLength) {
            skip -= c.byteLength;
            continue;
          }
          this.write(c.subarray(skip));
          skip = 0;
        }
      }
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
