import type { Diagnostic } from '../diagnostics.js';
import type { ReportData, ModelCard } from './report-data.js';
import type { AccuracyResult } from '../eval/accuracy.js';
import { bytesChart, latencyChart, perLayerChart } from './charts.js';
import { chart, escapeHtml, formatDbHtml, htmlTable, percent, section, unavailable } from './html.js';
import { formatBytes } from '../util/format-bytes.js';

/** Rows of the worst-layers table under the chart; the chart shows every layer. */
const WORST_LAYERS_LISTED = 20;
/** Op types listed per model in the summary; the rest are counted. */
const OPS_LISTED = 12;

export function summarySection(data: ReportData): string {
  const cards = [data.float, data.quantized];
  const row = (label: string, cell: (c: ModelCard) => string) => [escapeHtml(label), ...cards.map(cell)];
  const opsets = (c: ModelCard) => escapeHtml(Object.entries(c.summary.opsets).map(([d, v]) => `${d} ${v}`).join(', '));
  const producer = (c: ModelCard) => escapeHtml(`${c.summary.producer.name || 'unknown'} ${c.summary.producer.version}`.trim());
  const ops = (c: ModelCard) => {
    const entries = Object.entries(c.summary.ops);
    const shown = entries.slice(0, OPS_LISTED).map(([op, n]) => `${op} ×${n}`).join(', ');
    return escapeHtml(entries.length > OPS_LISTED ? `${shown}, … ${entries.length - OPS_LISTED} more op types` : shown);
  };
  const settings = (c: ModelCard) => {
    const recorded = Object.entries(c.summary.metadata).filter(([key]) => key.startsWith('lowbit.') && key !== 'lowbit.version');
    return recorded.length ? recorded.map(([key, value]) => `<code>${escapeHtml(key.slice('lowbit.'.length))}: ${escapeHtml(value)}</code>`).join('<br>') : '—';
  };
  const rows = [
    row('file', (c) => `<code>${escapeHtml(c.path)}</code>`),
    row('size on disk', (c) => formatBytes(c.fileBytes)),
    row('producer', producer),
    row('opsets', opsets),
    row('nodes', (c) => c.summary.nodes.toLocaleString('en-US')),
    row('parameters', (c) => c.summary.parameters.toLocaleString('en-US')),
    row('ops', ops),
    // How the quantized model was made (mode, options, calibration flags), as lowbit recorded it.
    row('lowbit settings', settings),
  ];
  const ratio = data.quantized.fileBytes / data.float.fileBytes;
  const lead = `<p>${data.mode ? `Mode <strong>${escapeHtml(data.mode)}</strong>. ` : ''}The quantized file is <strong>${ratio.toFixed(3)}×</strong> the size of the float one (${formatBytes(data.float.fileBytes)} → ${formatBytes(data.quantized.fileBytes)}).</p>`;
  const notes = data.notes.length ? `<ul class="notes">${data.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  const warnings = data.warnings.length ? `<ul class="warnings">${data.warnings.map((w) => `<li><strong>Warning:</strong> ${escapeHtml(w)}</li>`).join('')}</ul>\n` : '';
  return section('summary', 'Model summary', `${warnings}${lead}\n${htmlTable(['', 'float', 'quantized'], rows)}\n${notes}`);
}

export function sizeSection(data: ReportData): string {
  const before = data.float.summary.bytesByDtype;
  const after = data.quantized.summary.bytesByDtype;
  const dtypes = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const rows = dtypes.map((d) => [escapeHtml(d), formatBytes(before[d] ?? 0), formatBytes(after[d] ?? 0)]);
  return section('sizes', 'Tensor bytes by data type, before and after', `${chart('chart-bytes', bytesChart(before, after), 260)}\n${htmlTable(['dtype', 'float model', 'quantized model'], rows, [1, 2])}`);
}

export function fidelitySection(data: ReportData): string {
  const f = data.fidelity;
  if (!f) return section('fidelity', 'Fidelity per output', unavailable(data.unavailable.fidelity, 'The models were not run side by side.'));
  const rows = f.outputs.map((o) => [
    `<code>${escapeHtml(o.name)}</code>${o.peakMap ? `<br><small>the local maxima of <code>${escapeHtml(o.peakMap.name)}</code>, whose cosine is ${o.peakMap.cosine.toFixed(5)}</small>` : ''}${o.peakMatchCosine !== undefined ? `<br><small>peaks matched within a pixel: cosine ${o.peakMatchCosine.toFixed(5)}</small>` : ''}`,
    o.cosine.toFixed(5),
    formatDbHtml(o.sqnrDb),
    o.maxAbsError.toPrecision(3),
    o.meanAbsError.toPrecision(3),
    o.top1Agreement !== undefined ? percent(o.top1Agreement) : '—',
    `${o.nonFinite} / ${o.referenceNonFinite}`,
  ]);
  const intro = `<p>Quantized against float on ${f.samples} sample(s) from ${escapeHtml(f.source)}.${f.note ? ` <em>${escapeHtml(f.note)}</em>` : ''}</p>`;
  const accuracy = f.accuracy ? accuracyTable(f.accuracy) : '';
  return section('fidelity', 'Fidelity per output', `${intro}\n${htmlTable(['output', 'cosine', 'SQNR', 'max abs error', 'mean abs error', 'top-1 agreement', 'non-finite (quantized / float)'], rows, [1, 2, 3, 4, 5, 6])}${accuracy}`);
}

function accuracyTable(accuracy: { float?: AccuracyResult; quantized?: AccuracyResult }): string {
  const rows = (['float', 'quantized'] as const).flatMap((k) => {
    const a = accuracy[k];
    return a ? [[k, `<code>${escapeHtml(a.output)}</code>`, String(a.labelled), percent(a.top1), a.top5 !== undefined ? percent(a.top5) : '—']] : [];
  });
  return `\n<h3>Labelled accuracy</h3>\n${htmlTable(['model', 'output', 'labelled', 'top-1', 'top-5'], rows, [2, 3, 4])}`;
}

export function perLayerSection(data: ReportData): string {
  const p = data.perLayer;
  if (!p) return section('per-layer', 'Per-layer SQNR', unavailable(data.unavailable.perLayer, 'No per-layer comparison was made.'));
  const flagged = new Set(p.suggestion.exclude);
  const intro = `<p>${p.compared} node outputs compared on ${p.samples} sample(s), in graph order. Bars: SQNR of each node's output against float (all noise up to it); points: the SQNR of the noise the node itself adds. Teal bars are nodes quantization rewrote, grey ones nodes it left as they were, red ones the layers suggested for <code>--exclude</code>.</p>`;
  const advice = `<p class="advice">${escapeHtml(p.suggestion.reason)}.</p>${p.command ? `\n<p>To leave them in float:</p>\n<pre class="command">${escapeHtml(p.command)}</pre>` : ''}`;
  const rows = p.layers.slice(0, WORST_LAYERS_LISTED).map((l) => [
    `<code>${escapeHtml(l.node || `(output ${l.value})`)}</code>`,
    escapeHtml(l.opType),
    l.quantized ? 'yes' : '',
    formatDbHtml(l.sqnrDb),
    l.addedSqnrDb === Infinity ? 'none seen' : formatDbHtml(l.addedSqnrDb),
    l.cosine.toFixed(5),
  ]);
  const table = `<h3>Worst ${rows.length} of ${p.layers.length}, by the noise each node adds</h3>\n${htmlTable(['node', 'op', 'quantized', 'SQNR', 'added by node', 'cosine'], rows, [3, 4, 5])}`;
  return section('per-layer', 'Per-layer SQNR', `${intro}\n${chart('chart-per-layer', perLayerChart(p.layers, flagged), 360)}\n${advice}\n${table}`);
}

export function leftInFloatSection(data: ReportData): string {
  const { origin, nodes } = data.leftInFloat;
  const intro =
    origin === 'quantize'
      ? `<p>${nodes.length} node(s) were left in float by the quantizer, each with its reason.</p>`
      : `<p>${nodes.length} node(s) of the quantized model still read float weights. This model was not quantized in this run, so the quantizer's own reasons are not known.</p>`;
  if (nodes.length === 0) return section('left-in-float', 'Nodes left in float', intro);
  const byCode = new Map<string, number>();
  for (const d of nodes) byCode.set(d.code, (byCode.get(d.code) ?? 0) + 1);
  const counts = htmlTable(['reason code', 'nodes'], [...byCode].map(([code, n]) => [`<code>${escapeHtml(code)}</code>`, String(n)]), [1]);
  const rows = nodes.map((d: Diagnostic) => [`<code>${escapeHtml(d.node ?? '')}</code>`, escapeHtml(d.opType ?? ''), `<code>${escapeHtml(d.code)}</code>`, escapeHtml(d.reason)]);
  return section('left-in-float', 'Nodes left in float', `${intro}\n${counts}\n<details open><summary>every node</summary>\n${htmlTable(['node', 'op', 'code', 'reason'], rows)}\n</details>`);
}

export function latencySection(data: ReportData): string {
  const l = data.latency;
  if (!l) return section('latency', 'Latency before and after', unavailable(data.unavailable.latency, 'Latency was not measured.'));
  const names = ['float', 'quantized'];
  const rows = l.models.map((m, i) => [names[i] ?? escapeHtml(m.name), `${m.medianMs.toFixed(2)} ms`, `${m.p10Ms.toFixed(2)}–${m.p90Ms.toFixed(2)} ms`, m.ratio.toFixed(3)]);
  const intro = `<p>onnxruntime-node, ${l.threads ? `${l.threads} thread(s)` : 'its default threads'}, inputs ${escapeHtml(l.inputs)}: ${l.warmup} warm-up run(s), then ${l.runs} runs interleaved across the two models so that drift on the machine falls on both alike.</p>`;
  return section('latency', 'Latency before and after', `${intro}\n${chart('chart-latency', latencyChart(l.models, names), 160)}\n${htmlTable(['model', 'median', 'p10–p90', 'time ratio to float'], rows, [1, 2, 3])}`);
}
