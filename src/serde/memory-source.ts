import type { ExternalDataSource } from '../ir/tensor/external.js';
import { normalizeLocation } from './external-location.js';

/** External data held in memory: what a browser page uses after fetching the data files. */
export class MemoryDataSource implements ExternalDataSource {
  readonly label = 'in-memory external data';
  private readonly files = new Map<string, Uint8Array>();

  constructor(files: Record<string, Uint8Array> = {}) {
    for (const [location, bytes] of Object.entries(files)) this.files.set(normalizeLocation(location), bytes);
  }

  size(location: string): number | undefined {
    return this.files.get(location)?.byteLength;
  }

  read(location: string, offset: number, length: number): Uint8Array {
    const file = this.files.get(location);
    if (!file || offset + length > file.byteLength) throw new RangeError(`external data '${location}' has no bytes ${offset}..${offset + length}`);
    return file.subarray(offset, offset + length);
  }
}
