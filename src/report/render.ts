import type { ReportAssets, ReportData } from './report-data.js';
import { PAGE_SCRIPT } from './charts.js';
import { escapeHtml, inlineScript } from './html.js';
import { fidelitySection, latencySection, leftInFloatSection, perLayerSection, sizeSection, summarySection } from './sections.js';

/** The sections every report has, in page order (tests check each is shown). */
export const REPORT_SECTIONS = ['summary', 'sizes', 'fidelity', 'per-layer', 'left-in-float', 'latency'] as const;

const STYLE = `
:root { color-scheme: light; --ink: #0f172a; --muted: #475569; --line: #e2e8f0; --accent: #0d9488; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--ink); margin: 0; background: #f8fafc; }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p, footer { color: var(--muted); }
nav a { margin-right: 14px; color: var(--accent); }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 20px 16px; margin: 18px 0; }
h2 { font-size: 18px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; }
h3 { font-size: 15px; margin-top: 18px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f1f5f9; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, pre { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 12px; word-break: break-all; }
pre.command { background: #0f172a; color: #e2e8f0; padding: 10px 12px; border-radius: 6px; white-space: pre-wrap; }
.chart { position: relative; width: 100%; margin: 8px 0 12px; }
.unavailable { color: var(--muted); font-style: italic; }
.advice { font-weight: 600; }
.warnings { background: #fef2f2; border: 1px solid #fca5a5; border-radius: 6px; padding: 8px 8px 8px 28px; color: #7f1d1d; }
details summary { cursor: pointer; color: var(--accent); }
footer { padding-bottom: 24px; font-size: 13px; }
`;

/**
 * The report as one self-contained HTML page: styles, data, the charting library and the script
 * that draws the charts are all inline, so the file opens offline and can be mailed or archived.
 * Pure: the same data and assets give the same bytes.
 */
export function renderReport(data: ReportData, assets: ReportAssets): string {
  const body = [summarySection(data), sizeSection(data), fidelitySection(data), perLayerSection(data), leftInFloatSection(data), latencySection(data)].join('\n');
  return renderPage({ title: data.title, tool: data.tool, ...(data.createdAt ? { createdAt: data.createdAt } : {}), sections: REPORT_SECTIONS, body }, assets);
}

/** What a lowbit page is made of besides the shared frame (styles, header, footer, charting script). */
export interface PageParts {
  title: string;
  /** "lowbit 0.1.0": named under the title and in the footer. */
  tool: string;
  createdAt?: string;
  /** Section ids, in order, for the navigation bar. */
  sections: readonly string[];
  /** The sections' HTML (built with html.ts helpers). */
  body: string;
  /** Extra CSS for what this page adds to the shared styles. */
  style?: string;
}

/**
 * The frame every lowbit HTML page shares: the quantization report and the `lowbit demo` page are
 * both this, with their own sections. Self-contained (Chart.js and the page script inline).
 */
export function renderPage(parts: PageParts, assets: ReportAssets): string {
  const title = escapeHtml(parts.title);
  const nav = parts.sections.map((id) => `<a href="#${id}">${id.replace(/-/g, ' ')}</a>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<style>${STYLE}${parts.style ?? ''}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<p>${escapeHtml(parts.tool)}${parts.createdAt ? `, ${escapeHtml(parts.createdAt)}` : ''}</p>
<nav>${nav}</nav>
</header>
<main>
${parts.body}
</main>
<footer>Made by ${escapeHtml(parts.tool)}. Charts by Chart.js ${escapeHtml(assets.chartVersion)} (MIT), inlined.</footer>
<script>${inlineScript(assets.chartScript)}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
