import { formatBytes } from '../util/format-bytes.js';
export { formatBytes };

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Left-aligned text table; the first row is the header. */
export function table(rows: string[][], indent = '  '): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => indent + r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

