import { latencyChart } from './charts.js';
import { chart, escapeHtml, htmlTable, section } from './html.js';
import { renderPage } from './render.js';
import type { ReportAssets } from './report-data.js';
import { formatBytes } from '../util/format-bytes.js';

/** The sections of the `lowbit demo` page, in order (the page test checks each is shown). */
export const DEMO_SECTIONS = ['results', 'digits', 'training', 'quantized-loss', 'files'] as const;

export interface DemoPageRow {
  label: string;
  /** Short name for the digit cards ("fp32", "PTQ"). */
  short: string;
  file: string;
  bytes: number;
  top1: number;
  correct: number;
  labelled: number;
  /** Top-1 minus fp32's, in percentage points. */
  deltaPoints: number;
  /** One digit per run, in milliseconds. */
  latency: { medianMs: number; p10Ms: number; p90Ms: number; runs: number };
  /** Milliseconds per digit with a batch of 100 digits per run. */
  batchedMsPerDigit: number;
  /** For the QAT rows: top-1 of the TypeScript fake-quantized network, and how often its prediction equals onnxruntime's. */
  fakeQuant?: { top1: number; agreement: number };
}

export interface DemoPageTraining {
  label: string;
  epochs: number;
  seconds: number;
  imagesPerSecond: number;
  threads: number;
  cached: boolean;
  lossPerEpoch: number[];
  accuracyPerEpoch: number[];
}

export interface DemoPageDigit {
  /** The digit as a PNG (encoded by the caller with an image library; the page only embeds it). */
  png: Uint8Array;
  label: number;
  /** One prediction per row, in row order. */
  predictions: number[];
}

/** Everything the demo page shows, gathered by the CLI; rendering is a pure function of it. */
export interface DemoPageData {
  title: string;
  tool: string;
  createdAt?: string;
  /** The command that made the page, to run again. */
  command: string;
  /** One sentence on the data: how many digits, the split. */
  dataNote: string;
  rows: DemoPageRow[];
  notes: string[];
  training: DemoPageTraining[];
  quantizedLoss: { lossScale: number; saturated?: number; vanished?: number };
  digits: DemoPageDigit[];
  /** Side of the digit pictures in pixels. */
  digitSize: number;
  wallSeconds: number;
}

const STYLE = `
.digits { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin: 10px 0; }
.digit { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; font-size: 12px; }
.digit img { display: block; margin: 0 auto 4px; width: 84px; height: 84px; image-rendering: pixelated; }
.digit .truth { text-align: center; font-weight: 600; }
.digit .wrong { color: #dc2626; font-weight: 600; }
.formula { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; background: #f1f5f9; padding: 8px 12px; border-radius: 6px; white-space: pre-wrap; }
`;

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const points = (d: number) => (Math.abs(d) < 0.005 ? '±0.00' : `${d > 0 ? '+' : '−'}${Math.abs(d).toFixed(2)}`);

/** The `lowbit demo` page: the four models side by side, digits with their predictions, how they were made. */
export function renderDemoPage(data: DemoPageData, assets: ReportAssets): string {
  const body = [resultsSection(data), digitsSection(data), trainingSection(data), quantizedLossSection(data), filesSection(data)].join('\n');
  return renderPage({ title: data.title, tool: data.tool, ...(data.createdAt ? { createdAt: data.createdAt } : {}), sections: DEMO_SECTIONS, body, style: STYLE }, assets);
}

function resultsSection(data: DemoPageData): string {
  const rows = data.rows.map((r, i) => [
    escapeHtml(r.label),
    pct(r.top1),
    `${r.correct} / ${r.labelled}`,
    i === 0 ? '—' : points(r.deltaPoints),
    formatBytes(r.bytes),
    `${r.latency.medianMs.toFixed(3)} ms`,
    `${r.latency.p10Ms.toFixed(3)}–${r.latency.p90Ms.toFixed(3)} ms`,
    `${r.batchedMsPerDigit.toFixed(3)} ms`,
    r.fakeQuant ? `${pct(r.fakeQuant.top1)} (${pct(r.fakeQuant.agreement)} same predictions)` : '',
  ]);
  const table = htmlTable(['model', 'top-1', 'correct', 'Δ vs fp32 (points)', 'file', 'latency / image', 'p10–p90', 'per image, batch of 100', 'TypeScript fake-quant top-1'], rows, [1, 2, 3, 4, 5, 6, 7]);
  const runs = data.rows[0]?.latency.runs ?? 0;
  const intro = `<p>${escapeHtml(data.dataNote)} Top-1 and latency are measured in onnxruntime-node on the written files; latency is one digit per run, median of ${runs} runs interleaved across the models (one onnxruntime thread); the next column is the time per digit when 100 go in one run.</p>`;
  const notes = data.notes.length ? `<ul>${data.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  const accuracy = chart('chart-top1', accuracyChart(data.rows), 220);
  const latency = chart(
    'chart-latency',
    latencyChart(
      data.rows.map((r) => ({ name: r.label, runs: r.latency.runs, medianMs: r.latency.medianMs, p10Ms: r.latency.p10Ms, p90Ms: r.latency.p90Ms, meanMs: r.latency.medianMs, minMs: r.latency.p10Ms, maxMs: r.latency.p90Ms, ratio: 1 })),
      data.rows.map((r) => r.label),
    ),
    180,
  );
  return section('results', 'fp32, int8 post-training, int8 QAT', `${intro}\n${table}\n${notes}\n<h3>Top-1 on the held-out digits</h3>\n${accuracy}\n<h3>Latency per image</h3>\n${latency}`);
}

function accuracyChart(rows: readonly DemoPageRow[]): unknown {
  const values = rows.map((r) => r.top1 * 100);
  const low = Math.max(0, Math.floor(Math.min(...values) - 1));
  return {
    type: 'bar',
    data: { labels: rows.map((r) => r.label), datasets: [{ label: 'top-1 (%)', data: values, pointLabels: values.map((v) => `${v.toFixed(2)}%`), backgroundColor: rows.map((_, i) => (i === 0 ? '#64748b' : '#0d9488')) }] },
    options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { min: low, max: 100, title: { display: true, text: '% correct' } } } },
  };
}

function digitsSection(data: DemoPageData): string {
  const cards = data.digits.map((d) => {
    const uri = pngDataUri(d.png);
    const lines = data.rows.map((r, i) => {
      const p = d.predictions[i]!;
      return `<div${p === d.label ? '' : ' class="wrong"'}>${escapeHtml(r.short)}: ${p}${p === d.label ? '' : ' ✗'}</div>`;
    });
    return `<div class="digit"><img src="${uri}" alt="digit labelled ${d.label}"><div class="truth">label ${d.label}</div>${lines.join('')}</div>`;
  });
  const wrong = data.digits.filter((d) => d.predictions.some((p) => p !== d.label)).length;
  const intro = `<p>${data.digits.length} held-out digits with each model's prediction in onnxruntime (red where it is wrong): the ones some model got wrong first (${wrong}), then the first of the rest.</p>`;
  return section('digits', 'Digits and predictions', `${intro}\n<div class="digits">${cards.join('\n')}</div>`);
}

function trainingSection(data: DemoPageData): string {
  const rows = data.training.map((t) => [
    escapeHtml(t.label),
    String(t.epochs),
    t.cached ? 'cache' : `${t.seconds.toFixed(1)} s`,
    t.cached ? '—' : Math.round(t.imagesPerSecond).toLocaleString('en-US'),
    String(t.threads),
    t.lossPerEpoch.map((l) => l.toFixed(4)).join(', '),
    t.accuracyPerEpoch.map(pct).join(', '),
  ]);
  const intro = `<p>Trained in TypeScript (lowbit's src/train: hand-written Float32Array kernels, worker threads for data parallelism, deterministic for a seed). The whole run took ${data.wallSeconds.toFixed(1)} s.</p>`;
  return section('training', 'Training', `${intro}\n${htmlTable(['network', 'epochs', 'time', 'images/s', 'threads', 'loss per epoch', 'training accuracy per epoch'], rows, [1, 2, 3, 4])}`);
}

function quantizedLossSection(data: DemoPageData): string {
  const q = data.quantizedLoss;
  const formula = `L_q = round(clip(L·Q, 0, 255))          the loss of each digit, uint8 (Q = ${q.lossScale})
G   = Q·(softmax(z) − onehot(y))       ∂L_q/∂z through round (straight-through); 0 where L·Q > 255
G_q = round(clip(G, −127, 127))         the gradient leaving the loss, int8 (it has both signs)
∂L/∂z used by backprop = G_q / Q / batch size`;
  const measured =
    q.saturated !== undefined
      ? `<p>In the last epoch of that fine-tuning, ${pct(q.saturated)} of the digits had a loss past 255/Q = ${(255 / q.lossScale).toFixed(2)} (no gradient from them) and ${pct(q.vanished ?? 0)} of the gradient entries rounded to 0 (every entry under 1/(2Q) = ${(1 / (2 * q.lossScale)).toFixed(4)}).</p>`
      : '';
  const body = `<p>The seed quantizes its loss like its activations. The last row fine-tunes with that 8-bit loss; rounding is half to even throughout.</p>\n<div class="formula">${escapeHtml(formula)}</div>\n${measured}`;
  return section('quantized-loss', 'The 8-bit loss', body);
}

function filesSection(data: DemoPageData): string {
  const rows = data.rows.map((r) => [escapeHtml(r.label), `<code>${escapeHtml(r.file)}</code>`, formatBytes(r.bytes)]);
  return section('files', 'Files', `${htmlTable(['model', 'file', 'size'], rows, [2])}\n<p>Made by:</p>\n<pre class="command">${escapeHtml(data.command)}</pre>`);
}

function pngDataUri(png: Uint8Array): string {
  let text = '';
  for (let i = 0; i < png.length; i += 0x8000) text += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(text)}`;
}
