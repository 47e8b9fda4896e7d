// Small HTML-building helpers for the report: everything user-controlled (paths, node names,
// reasons) goes through `escapeHtml`, and JSON placed inside <script> through `scriptJson`.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * JSON that is safe inside a <script> element: `<` is escaped so that no string in it (a node named
 * "</script>") can close the element early. Infinity has no JSON form and would silently become
 * null, so callers must map it first.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Inline a script's source: `</script` inside it (in a string or comment) would end the element. */
export function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script').replace(/\n\/\/# sourceMappingURL=.*$/m, '');
}

/** A table; cells are already-escaped HTML. `numeric` columns are right-aligned. */
export function htmlTable(header: string[], rows: string[][], numeric: number[] = []): string {
  const cls = (i: number) => (numeric.includes(i) ? ' class="num"' : '');
  const head = `<tr>${header.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${id}">\n<h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

/** A paragraph saying why a section has nothing to show. */
export function unavailable(reason: string | undefined, fallback: string): string {
  return `<p class="unavailable">${escapeHtml(reason ?? fallback)}</p>`;
}

/** A canvas that the page script turns into a chart from the JSON config beside it. */
export function chart(id: string, config: unknown, heightPx: number): string {
  return `<div class="chart" style="height:${heightPx}px"><canvas id="${id}" data-chart="${id}-config" role="img"></canvas></div>\n<script type="application/json" id="${id}-config">${scriptJson(config)}</script>`;
}


export function formatDbHtml(db: number): string {
  if (db === Infinity) return '∞ (exact)';
  if (db === -Infinity) return '−∞';
  return `${db.toFixed(1)} dB`;
}

export function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
