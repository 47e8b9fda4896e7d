import { unzipSync } from 'fflate';
import type { HostTensor } from '../runner/runner.js';
import { DataFormatError, parseNpy } from './npy.js';
import { errorMessage } from '../errors.js';

/** Parse a .npz archive (a zip of .npy files, stored or deflated) into arrays keyed by name. */
export function parseNpz(bytes: Uint8Array, file = '<npz>'): Record<string, HostTensor> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new DataFormatError(`${file}: not a usable .npz file: ${errorMessage(error)}`, { code: 'bad-npz', file, cause: error });
  }
  const out: Record<string, HostTensor> = {};
  for (const [name, data] of Object.entries(entries)) {
    if (!name.endsWith('.npy')) continue;
    out[name.slice(0, -4)] = parseNpy(data, `${file}:${name}`);
  }
  return out;
}
