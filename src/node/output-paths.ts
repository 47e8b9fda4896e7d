import { accessSync, constants, existsSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { OutputError, UsageError, errorMessage } from '../errors.js';

/**
 * Checks, before any work is done, that `path` can be written as a file: not empty, not a folder,
 * in a folder that exists and is writable. Commands call it first so that a long quantization or
 * calibration is never thrown away at the end for a typo in `-o` or `--report`. `option` names the
 * flag in the message.
 */
export function checkOutputFile(path: string, option: string, example = 'model.onnx'): void {
  if (path.trim() === '') throw new UsageError(`${option} is empty: give a file path`, { code: 'bad-output', file: path });
  const target = resolve(path);
  if (existsSync(target) && statSync(target).isDirectory()) {
    throw new UsageError(`${path}: is a folder; ${option} takes a file path (e.g. ${path.replace(/\/+$/, '')}/${example})`, { code: 'bad-output', file: path });
  }
  checkWritableFolder(dirname(target), path);
}

/**
 * Checks that `path` can be used as an output folder: an existing writable folder, or a missing one
 * whose nearest existing ancestor is a writable folder (it will be created).
 */
export function checkOutputFolder(path: string, option: string): void {
  if (path.trim() === '') throw new UsageError(`${option} is empty: give a folder path`, { code: 'bad-output', file: path });
  let folder = resolve(path);
  if (existsSync(folder) && !statSync(folder).isDirectory()) {
    throw new UsageError(`${path}: is a file; ${option} takes a folder`, { code: 'bad-output', file: path });
  }
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  checkWritableFolder(folder, path);
}

/** Throws an OutputError naming `path` when `folder` is missing, not a folder or not writable. */
export function checkWritableFolder(folder: string, path: string): void {
  try {
    if (!statSync(folder).isDirectory()) throw new Error(`${folder} is a file, not a folder`);
    accessSync(folder, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a file stands where a folder of the path should be.
    const reason = code === 'ENOENT' ? `the folder ${folder} does not exist` : code === 'EACCES' ? `the folder ${folder} is not writable` : code === 'ENOTDIR' ? `part of ${folder} is a file, not a folder` : errorMessage(error);
    throw new OutputError(`${path}: cannot write there: ${reason}`, { code: 'unwritable', file: path, cause: error });
  }
}

/** Writes a whole file through a temporary file renamed into place: a failure leaves nothing half-written. */
export function writeFileAtomically(path: string, data: string | Uint8Array): void {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } finally {
    if (existsSync(temp)) unlinkSync(temp);
  }
}
