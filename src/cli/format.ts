import { formatDiagnostic, type Diagnostic } from '../diagnostics.js';
import { formatBytes } from '../util/format-bytes.js';
import type { FidelityMetrics } from '../eval/metrics.js';
import { formatDb } from '../eval/layer-ranking.js';
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
 * One output's fidelity figures for a text line (quantize's verification, eval): cosine, SQNR
 * ("exact" only when no value was left out for being non-finite), max abs error, top-1 agreement
 * and the non-finite counts.
 */
export function fidelityFigures(o: FidelityMetrics): string {
  const sqnr = o.nonFinite > 0 && o.sqnrDb === Infinity ? '∞ dB on the finite values' : formatDb(o.sqnrDb);
  const top1 = o.top1Agreement !== undefined ? `  top-1 agreement ${(o.top1Agreement * 100).toFixed(1)}%` : '';
  return `cosine ${o.cosine.toFixed(5)}  SQNR ${sqnr}  max abs error ${o.maxAbsError.toPrecision(3)}${top1}${nonFiniteText(o)}`;
}

/**
 * Diagnostics as text lines, those that say the same thing of several tensors in one line
 * ("warning at 'a', 'b' and 5 more: …"): seven identical calibration warnings read as noise.
 */
export function diagnosticLines(diagnostics: readonly Diagnostic[]): string[] {
  const groups = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    const key = d.value && !d.node ? `${d.severity}\u0000${d.code}\u0000${d.reason}\u0000${d.graph ?? ''}` : `single\u0000${groups.size}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  return [...groups.values()].map((group) => {
    if (group.length === 1) return formatDiagnostic(group[0]!);
    const first = group[0]!;
    const names = group.slice(0, 3).map((d) => `'${d.value}'`).join(', ');
    const more = group.length > 3 ? ` and ${group.length - 3} more` : '';
    return `${first.severity} at ${names}${more} (${group.length} tensors): ${first.reason} [${first.code}]`;
  });
}
