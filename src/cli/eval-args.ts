import { readFileSync, statSync } from 'node:fs';
import { parseNpy } from '../data/npy.js';
import { labelsFromArray } from '../eval/accuracy.js';
import { LowbitError, ModelFormatError, UsageError, errorMessage } from '../errors.js';

/** A whole number option (--runs, --samples): at least `min`, or undefined when not given. */
export function parseCount(flag: string, text: string | undefined, min = 1): number | undefined {
  if (text === undefined) return undefined;
  // Digits only: Number() would take '', ' 3', '1e1' and '0x10' too.
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be a whole number of at least ${min}, got '${text}'`, { code: 'bad-option' });
  return n;
}

/**
 * Fail before any model is loaded when one of the files is missing, with the same words as
 * readModelFile, rather than from deep inside onnxruntime after the others have loaded.
 */
export function requireModelFiles(paths: readonly string[]): void {
  for (const path of paths) {
    let reason: string | undefined;
    try {
      if (statSync(path).isDirectory()) reason = 'is a folder, not an ONNX file';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : errorMessage(error);
    }
    if (reason) throw new ModelFormatError(`${path}: cannot read the model: ${reason}`, { code: 'unreadable', file: path });
  }
}

/** Labels from a .npy file: one integer per sample. A file that cannot be read is a usage error, like a bad --data. */
export function readLabels(path: string): Int32Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read the labels: ${code === 'ENOENT' ? 'no such file' : errorMessage(error)}`, { code: 'bad-labels', cause: error });
  }
  try {
    return labelsFromArray(parseNpy(bytes, path), path);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error instanceof LowbitError) throw new UsageError(error.message, { code: 'bad-labels', cause: error });
    throw error;
  }
}
