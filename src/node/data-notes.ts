import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { DataType, dtypeName } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { isTensorType } from '../ir/types.js';
import { readNpyHeader } from '../data/npy.js';
import { parseNpz } from '../data/npz.js';
import { feedInputs } from '../data/samples.js';
import { npyFileStart } from './data-sources.js';

/** The integer types samples.ts converts to float (others are refused with an error of their own). */
const INTEGER_TYPES = new Set([DataType.UINT8, DataType.INT32, DataType.INT64]);

/**
 * A note when a .npy/.npz source holds integer arrays for a float input. They are fed as they are,
 * so an image saved as uint8 reaches the model as 0–255, where most models expect values prepared
 * (scaled, normalized) as in training: the figures then describe inputs the model never sees.
 * Read from the first file only (its header for .npy), before any sample is. Undefined when there
 * is nothing to say or the source cannot be read (reading the samples reports that).
 */
export function integerArraysNote(spec: string, model: Model): string | undefined {
  let files: string[];
  try {
    if (spec === 'random' || !statSync(spec).isDirectory()) return undefined;
    files = readdirSync(spec).sort();
  } catch {
    return undefined;
  }
  const inputs = feedInputs(model);
  const floatInputs = new Set(inputs.filter((v) => isTensorType(v.type) && v.type.elemType === DataType.FLOAT).map((v) => v.name));
  const npy = files.find((f) => extname(f) === '.npy');
  const npz = files.find((f) => extname(f) === '.npz');
  let found: { file: string; input: string; dtype: DataType } | undefined;
  try {
    if (npy && floatInputs.size === 1 && inputs.length === 1) {
      const dtype = readNpyHeader(npyFileStart(join(spec, npy)), npy).dtype;
      if (INTEGER_TYPES.has(dtype)) found = { file: npy, input: [...floatInputs][0]!, dtype };
    } else if (npz && !npy) {
      const arrays = parseNpz(readFileSync(join(spec, npz)), npz);
      for (const [name, array] of Object.entries(arrays)) {
        if (floatInputs.has(name) && INTEGER_TYPES.has(array.dtype)) {
          found = { file: npz, input: name, dtype: array.dtype };
          break;
        }
      }
    }
  } catch {
    return undefined;
  }
  if (!found) return undefined;
  return `${join(spec, found.file)} holds ${dtypeName(found.dtype)} values for float input '${found.input}': they are fed as they are, not scaled (an image's 0–255 stays 0–255); if the model expects prepared input (scaled to 0–1, normalized), save float32 arrays prepared that way, or give image files with --preprocess`;
}
