import { describe, expect, it } from 'vitest';
import { DEMO_SECTIONS, renderDemoPage, type DemoPageData } from './demo-page.js';

const ASSETS = { chartScript: 'window.Chart = function () {};', chartVersion: '0.0.0' };

describe('the demo page', () => {
  const data: DemoPageData = {
    title: 'demo <page>',
    tool: 'lowbit test',
    command: 'lowbit demo --out "a b"',
    dataNote: 'Digits.',
    rows: [
      { label: 'fp32', short: 'fp32', file: 'a.onnx', bytes: 2000, top1: 0.98, correct: 98, labelled: 100, deltaPoints: 0, latency: { medianMs: 0.1, p10Ms: 0.1, p90Ms: 0.2, runs: 5 }, batchedMsPerDigit: 0.05 },
      { label: 'int8 QAT', short: 'QAT', file: 'b.onnx', bytes: 600, top1: 0.97, correct: 97, labelled: 100, deltaPoints: -1, latency: { medianMs: 0.2, p10Ms: 0.1, p90Ms: 0.3, runs: 5 }, batchedMsPerDigit: 0.06, fakeQuant: { top1: 0.97, agreement: 1 } },
    ],
    notes: [],
    training: [],
    quantizedLoss: { lossScale: 32 },
    digits: [{ png: Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]), label: 3, predictions: [3, 5] }],
    digitSize: 28,
    wallSeconds: 1,
  };
  const html = renderDemoPage(data, ASSETS);

  it('has every section, escapes text, and marks wrong predictions', () => {
    for (const id of DEMO_SECTIONS) expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain('<title>demo &lt;page&gt;</title>');
    expect(html).toContain('lowbit demo --out &quot;a b&quot;');
    expect(html).toContain('<div class="wrong">QAT: 5 ✗</div>');
    expect(html).toContain('−1.00');
  });

  it('is pure: the same data gives the same bytes', () => {
    expect(renderDemoPage(data, ASSETS)).toBe(html);
  });
});
