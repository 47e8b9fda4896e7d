import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The package's exports give each platform its entry and that entry's types: a browser bundle sees
// createWebRunner and not the file functions, Node sees readModelFile. Type-checked against dist
// (npm test builds it first), through the package's own name, as a user's project would.
const tsc = join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc');
const fixture = (name: string) => join(process.cwd(), 'test', 'fixtures', 'types', name);
const BROWSER = ['--module', 'esnext', '--moduleResolution', 'bundler', '--customConditions', 'browser', '--lib', 'es2022,dom'];
const NODE = ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];

function typeCheck(file: string, flags: string[]): string {
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', ...flags, fixture(file)], { encoding: 'utf8' });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

describe('package types', () => {
  it('a browser build type-checks against the browser entry, a Node project against the Node entry', { timeout: 120_000 }, () => {
    expect(typeCheck('browser-entry.ts', BROWSER)).toBe('');
    expect(typeCheck('node-entry.ts', NODE)).toBe('');
    // The file functions are not in the browser entry, and its types say so.
    expect(typeCheck('node-entry.ts', BROWSER)).toMatch(/has no exported member 'readModelFile'/);
  });
});
