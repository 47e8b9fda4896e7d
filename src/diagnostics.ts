/**
 * A finding about one node or value, as data: checker problems, nodes a pass left alone and why.
 * `code` is stable (tests and scripts match on it); `reason` is for people.
 */
export interface Diagnostic {
  code: string;
  severity: 'error' | 'warning' | 'info';
  reason: string;
  node?: string;
  opType?: string;
  value?: string;
  /** Which graph, for diagnostics inside subgraphs ("main", "main/If_0.then_branch"). */
  graph?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.node ? `${d.opType ? `${d.opType} ` : ''}'${d.node}'` : d.value ? `'${d.value}'` : '';
  return `${d.severity}${where ? ` at ${where}` : ''}${d.graph && d.graph !== 'main' ? ` (in ${d.graph})` : ''}: ${d.reason} [${d.code}]`;
}
