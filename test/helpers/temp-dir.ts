import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every test file's temporary folders, removed after the file's last test by test/setup/temp-dirs.ts.
// A full run writes gigabytes of models there; left behind, they fill the disk within days.
const created: string[] = [];

/** A new empty folder under the system's temporary folder, named `lowbit-NAME-…`, removed after the test file. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `lowbit-${name}-`));
  created.push(dir);
  return dir;
}

/** Removes the folders `tempDir` made, unless LOWBIT_KEEP_TEMP is set (to look at a failing test's files). */
export function removeTempDirs(): void {
  if (process.env.LOWBIT_KEEP_TEMP) return;
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}
