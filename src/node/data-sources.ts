import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Model } from '../ir/model.js';
import type { Feeds, HostTensor } from '../runner/runner.js';
import { generateInputs, type GenerateOptions } from '../eval/inputs.js';
import { npyDataStart, parseNpy, readNpyHeader } from '../data/npy.js';
import { parseNpz } from '../data/npz.js';
import { feedInputs, samplesIn, splitForInput, type SampleSource } from '../data/samples.js';
import type { Value } from '../ir/value.js';
import { UsageError } from '../errors.js';
import { IMAGE_EXTENSIONS, imageFolderSource } from './images.js';
import { parsePreprocess, type PreprocessSpec } from '../data/preprocess.js';

export interface SourceOptions extends GenerateOptions {
  /**
   * How images are turned into tensors (image folders only): the CLI's --preprocess text
   * ('resize=224,mean=0.5,std=0.5') or the fields to change, the rest at their defaults (scale 1/255,
   * mean 0, std 1, rgb, fill).
   */
  preprocess?: Partial<PreprocessSpec> | string;
  /** Use at most this many samples. */
  limit?: number;
  /** For 'random': how many samples to make (default 8). */
  randomCount?: number;
}

/**
 * Open SOURCE as the CLI understands it: `random`, a folder of .npy files (one input), a folder
 * of .npz files (keys = input names), or a folder of images (one image input, see --preprocess). Files are read one at a time, so memory stays flat however
 * many samples there are.
 */
export function openSource(spec: string, model: Model, options: SourceOptions = {}): SampleSource {
  if (typeof spec !== 'string') throw new UsageError(`openSource() takes a data source (a folder, or 'random') first, got ${typeof spec}`, { code: 'bad-source' });
  if (!(model instanceof Model)) throw new UsageError(`openSource() takes the Model the samples feed (readModelFile(path).model), got ${typeof model === 'string' ? `the string '${model}'` : typeof model}`, { code: 'bad-model' });
  if (spec === 'random') return randomSource(model, options);
  let entries: string[];
  const expected = "give a folder of .npy files, .npz files or images, or 'random'";
  try {
    if (!statSync(spec).isDirectory()) throw new Error('not a folder');
    entries = readdirSync(spec).sort();
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new UsageError(`data source '${spec}' ${missing ? 'does not exist' : 'is not a folder'} (${expected})`, { code: 'bad-source' });
  }
  const npy = entries.filter((f) => extname(f) === '.npy');
  const npz = entries.filter((f) => extname(f) === '.npz');
  const images = entries.filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()));
  const kinds = [npy, npz, images].filter((l) => l.length > 0).length;
  if (kinds > 1) throw new UsageError(`data source '${spec}' mixes .npy, .npz and image files; use one kind`, { code: 'bad-source' });
  if (npz.length) return archiveSource(spec, npz, model, options);
  if (npy.length) return arraySource(spec, npy, model, options);
  if (images.length) {
    const inputs = feedInputs(model);
    if (inputs.length !== 1) throw new UsageError(`data source '${spec}' holds images, which feed one input, but the model has ${inputs.length} inputs; use .npz files keyed by input name`, { code: 'bad-source' });
    return imageFolderSource(spec, images, inputs[0]!, preprocessSpec(options.preprocess), options.limit);
  }
  throw new UsageError(`data source '${spec}' has no .npy, .npz or image files`, { code: 'bad-source' });
}

/** A whole PreprocessSpec: the text parsed, or the fields given over the defaults. */
function preprocessSpec(given: SourceOptions['preprocess']): PreprocessSpec {
  if (typeof given === 'string') return parsePreprocess(given);
  if (given !== undefined && (typeof given !== 'object' || given === null)) throw new UsageError(`preprocess takes an object or --preprocess text, got ${JSON.stringify(given)}`, { code: 'bad-option' });
  const spec = { ...parsePreprocess(undefined), ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) } as PreprocessSpec;
  for (const key of ['mean', 'std'] as const) {
    if (!Array.isArray(spec[key]) || !spec[key].every(Number.isFinite)) throw new UsageError(`preprocess.${key} takes an array of numbers, got ${JSON.stringify(spec[key])}`, { code: 'bad-option' });
  }
  if (!Number.isFinite(spec.scale)) throw new UsageError(`preprocess.scale takes a number, got ${JSON.stringify(spec.scale)}`, { code: 'bad-option' });
  return spec;
}

function randomSource(model: Model, options: SourceOptions): SampleSource {
  const count = options.limit ?? options.randomCount ?? 8;
  return {
    label: `${count} random samples`,
    size: count,
    async *samples() {
      for (let i = 0; i < count; i++) yield generateInputs(model, { ...options, seed: (options.seed ?? 1234) + i });
    },
  };
}

function arraySource(folder: string, files: string[], model: Model, options: SourceOptions): SampleSource {
  const inputs = feedInputs(model);
  if (inputs.length !== 1) {
    throw new UsageError(`data source '${folder}' holds .npy files, which feed one input, but the model has ${inputs.length} inputs (${inputs.map((v) => v.name).join(', ')}); use .npz files keyed by input name`, { code: 'bad-source' });
  }
  const input = inputs[0]!;
  let counted: { size: number | undefined } | undefined;
  return {
    label: `${folder} (${files.length} .npy files)`,
    // Known before the samples are read, as an image folder's is: progress lines then give the
    // total and the time left whatever the source.
    get size() {
      counted ??= { size: npySampleCount(folder, files, input, options.limit) };
      return counted.size;
    },
    async *samples() {
      let n = 0;
      for (const f of files) {
        const path = join(folder, f);
        for (const piece of splitForInput(parseNpy(readFileSync(path), path), input, path)) {
          if (options.limit !== undefined && n >= options.limit) return;
          n++;
          yield { [input.name]: piece };
        }
      }
    },
  };
}

/**
 * The samples a folder of .npy files gives, from each file's header alone (a file can hold several
 * along a batch axis). Undefined when a header cannot be read: reading the samples then says what is
 * wrong with the file; the count only serves progress lines.
 */
function npySampleCount(folder: string, files: readonly string[], input: Value, limit: number | undefined): number | undefined {
  let count = 0;
  try {
    for (const f of files) {
      count += samplesIn(readNpyHeader(npyFileStart(join(folder, f)), f).dims, input);
      if (limit !== undefined && count >= limit) return limit;
    }
  } catch {
    return undefined;
  }
  return count;
}

/** The first bytes of a .npy file, through the end of its header. */
export function npyFileStart(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const read = (length: number) => {
      const bytes = new Uint8Array(length);
      return bytes.subarray(0, readSync(fd, bytes, 0, length, 0));
    };
    const start = read(4096);
    const end = npyDataStart(start, path);
    return end <= start.byteLength ? start : read(end);
  } finally {
    closeSync(fd);
  }
}

function archiveSource(folder: string, files: string[], model: Model, options: SourceOptions): SampleSource {
  const inputs = feedInputs(model);
  return {
    label: `${folder} (${files.length} .npz files)`,
    size: undefined,
    async *samples() {
      let n = 0;
      for (const f of files) {
        const path = join(folder, f);
        const arrays = parseNpz(readFileSync(path), path);
        const pieces: Record<string, HostTensor[]> = {};
        for (const input of inputs) {
          const array = arrays[input.name];
          if (!array) throw new UsageError(`${path}: has no array named '${input.name}' (it has ${Object.keys(arrays).join(', ') || 'none'})`, { code: 'bad-data' });
          pieces[input.name] = splitForInput(array, input, path);
        }
        const count = Math.min(...Object.values(pieces).map((p) => p.length));
        for (let i = 0; i < count; i++) {
          if (options.limit !== undefined && n >= options.limit) return;
          n++;
          const feeds: Feeds = {};
          for (const input of inputs) feeds[input.name] = pieces[input.name]![i]!;
          yield feeds;
        }
      }
    },
  };
}
