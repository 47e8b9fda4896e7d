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


/** The non-finite counts of one output's fidelity for a text line; '' when there are none. */
export function nonFiniteText(o: { nonFinite: number; referenceNonFinite: number }): string {
  return `${o.nonFinite ? `  NON-FINITE ${o.nonFinite}` : ''}${o.referenceNonFinite ? `  FLOAT NON-FINITE ${o.referenceNonFinite} (left out)` : ''}`;
}

/**
 * A warning when the float model itself gave NaN or ±Infinity: the figures leave those values
 * out, and the cause is usually the input data (a NaN in a .npy file), not the quantization.
 */
export function floatNonFiniteWarning(outputs: readonly { name: string; referenceNonFinite: number }[]): string | undefined {
  const bad = outputs.filter((o) => o.referenceNonFinite > 0);
  if (bad.length === 0) return undefined;
  return `warning: the float model gives NaN or infinite values on these inputs (${bad.map((o) => `'${o.name}': ${o.referenceNonFinite}`).join(', ')}); they are left out of the figures. Look for NaN or infinite values in the input data`;
}
