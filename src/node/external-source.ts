import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import type { ExternalDataSource } from '../ir/tensor/external.js';

/**
 * External tensor data read from files next to the model. Locations were already checked as
 * relative and inside the folder; this also resolves symlinks so a link cannot lead outside.
 */
export class FolderDataSource implements ExternalDataSource {
  private readonly fds = new Map<string, number>();
  private readonly root: string;

  constructor(readonly folder: string) {
    this.root = realpathSync(folder);
  }

  get label(): string {
    return this.folder;
  }

  size(location: string): number | undefined {
    const path = this.resolveInside(location);
    if (!path) return undefined;
    try {
      const stat = statSync(path);
      return stat.isFile() ? stat.size : undefined;
    } catch {
      return undefined;
    }
  }

  read(location: string, offset: number, length: number): Uint8Array {
    const fd = this.open(location);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n === 0) throw new Error(`external data file '${location}' ended at byte ${offset + done}, expected ${offset + length}`);
      done += n;
    }
    return out;
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private open(location: string): number {
    let fd = this.fds.get(location);
    if (fd === undefined) {
      const path = this.resolveInside(location);
      if (!path) throw new Error(`external data location '${location}' leads outside ${this.folder}`);
      fd = openSync(path, 'r');
      if (!fstatSync(fd).isFile()) throw new Error(`external data location '${location}' is not a file`);
      this.fds.set(location, fd);
    }
    return fd;
  }

  private resolveInside(location: string): string | undefined {
    const path = join(this.folder, location);
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return path; // does not exist: size() reports it missing
    }
    const rel = relative(this.root, real);
    if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
    return real;
  }
}
