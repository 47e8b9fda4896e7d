import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../inspect/summary.js';
import { addedSqnrDb, noiseRatio, type LayerFidelity } from '../eval/layer-ranking.js';
import { measuredWarnings } from './gather.js';
import { renderReport, REPORT_SECTIONS } from './render.js';
import type { ReportData } from './report-data.js';

function summary(bytesByDtype: Record<string, number>): ModelSummary {
  return {
    producer: { name: 'test', version: '1' },
    metadata: {},
    irVersion: 8,
    opsets: { 'ai.onnx': 13 },
    inputs: [],
    outputs: [],
    ops: { Conv: 2 },
    nodes: 2,
    parameters: 10,
    bytesByDtype,
    largestTensors: [],
    subgraphs: 0,
    functions: 0,
    externalData: { used: false, tensors: 0, bytes: 0, files: [] },
    quantizedOps: {},
    quantizable: { weightOps: {}, dynamicOps: 0, int4MatMuls: 0, floatTensors: 0, floatBytes: 0 },
  };
}

const NASTY = '</script><b id="injected">x</b>';

function layer(node: string, order: number, inputSqnrDb: number, sqnrDb: number): LayerFidelity {
  return { value: `${node}_out`, node, opType: 'Conv', order, quantized: true, sqnrDb, inputSqnrDb, addedSqnrDb: addedSqnrDb(noiseRatio(sqnrDb), noiseRatio(inputSqnrDb)), cosine: 0.99, maxAbsError: 0.1 };
}

function data(overrides: Partial<ReportData> = {}): ReportData {
  const layers = [layer('conv0', 1, Infinity, Infinity), layer(NASTY, 2, Infinity, 12)];
  return {
    title: 'a & b',
    tool: 'lowbit test',
    float: { path: 'f.onnx', fileBytes: 4000, summary: summary({ float32: 4000 }) },
    quantized: { path: 'q.onnx', fileBytes: 1100, summary: summary({ float32: 100, int8: 1000 }) },
    fidelity: { samples: 2, source: 'random', outputs: [{ name: 'y', cosine: 1, sqnrDb: Infinity, maxAbsError: 0, meanAbsError: 0, nonFinite: 0, referenceNonFinite: 0 }] },
    perLayer: { samples: 2, compared: 2, groups: 1, layers, suggestion: { exclude: [NASTY], medianAddedSqnrDb: 12, marginDb: 10, unnamed: [], reason: 'because' }, command: `--exclude '${NASTY}'` },
    leftInFloat: { origin: 'quantize', nodes: [{ code: 'excluded', severity: 'info', node: NASTY, opType: 'Conv', reason: 'excluded by --exclude' }] },
    latency: { runs: 3, warmup: 1, inputs: 'random', models: [{ name: 'f', runs: 3, medianMs: 2, p10Ms: 1, p90Ms: 3, meanMs: 2, minMs: 1, maxMs: 3, ratio: 1 }, { name: 'q', runs: 3, medianMs: 1, p10Ms: 1, p90Ms: 1, meanMs: 1, minMs: 1, maxMs: 1, ratio: 0.5 }] },
    notes: [],
    warnings: [],
    unavailable: {},
    ...overrides,
  };
}

const assets = { chartScript: '/* chart */ window.Chart = function () {}; // "</script>" inside a string\n//# sourceMappingURL=chart.umd.min.js.map', chartVersion: '0.0.0' };

describe('renderReport', () => {
  it('has every section, escapes names, and is the same for the same data', () => {
    const html = renderReport(data(), assets);
    for (const id of REPORT_SECTIONS) expect(html).toContain(`<section id="${id}">`);
    expect(html).not.toContain('<b id="injected">');
    expect(html).toContain('&lt;/script&gt;&lt;b id=&quot;injected&quot;&gt;');
    expect(html).toContain('<title>a &amp; b</title>');
    expect(renderReport(data(), assets)).toBe(html);
  });

  it('shows the settings lowbit recorded in the quantized model, escaped', () => {
    const d = data();
    d.quantized.summary = { ...d.quantized.summary, metadata: { 'lowbit.version': '0.1.0', 'lowbit.mode': 'int8', 'lowbit.calibration': '{"calibFromModel":"<calib>","calibMethod":"entropy"}' } };
    const html = renderReport(d, assets);
    expect(html).toContain('<code>mode: int8</code><br><code>calibration: {&quot;calibFromModel&quot;:&quot;&lt;calib&gt;&quot;,&quot;calibMethod&quot;:&quot;entropy&quot;}</code>');
    expect(html).not.toContain('version: 0.1.0');
  });

  it('shows warnings first, escaped, and nothing when there are none', () => {
    expect(renderReport(data(), assets)).not.toContain('class="warnings"');
    const html = renderReport(data({ warnings: [`'${NASTY}' is below cosine 0.98`] }), assets);
    const summary = html.slice(html.indexOf('<section id="summary">'));
    expect(summary.indexOf('class="warnings"')).toBeLessThan(summary.indexOf('<table'));
    expect(html).toContain('<strong>Warning:</strong> &#39;&lt;/script&gt;');
  });

  it('warns from its own figures: an output below cosine 0.98, NaN from the quantized model, a model slower than float', () => {
    const d = data();
    expect(measuredWarnings(d.fidelity, d.latency)).toEqual([]);
    const low = { ...d.fidelity!, outputs: [{ ...d.fidelity!.outputs[0]!, cosine: 0.72135, nonFinite: 3 }] };
    const slow = { ...d.latency!, models: [d.latency!.models[0]!, { ...d.latency!.models[1]!, ratio: 1.55 }] };
    expect(measuredWarnings(low, slow)).toEqual([
      "'y' (cosine 0.7214) is below cosine 0.98 against float: the per-layer table names the layers that cost most",
      "the model gives NaN or infinite values where the float model does not ('y': 3); the figures describe only the other values",
      "the quantized model took 1.55× float's time here: it is not faster on this machine (see Latency)",
    ]);
  });

  it('keeps inlined scripts and embedded JSON from closing their element, and drops source-map links', () => {
    const html = renderReport(data(), assets);
    const scripts = html.match(/<script[^>]*>[\s\S]*?<\/script>/g)!;
    // Every element ends where it should: none of them contains a second opening tag's worth of page.
    for (const s of scripts) expect(s.slice(8, -9)).not.toMatch(/<\/script/i);
    expect(html).not.toContain('sourceMappingURL');
  });

  it('draws exact values at the top of the scale and names them in tooltips, since JSON has no Infinity', () => {
    const html = renderReport(data(), assets);
    const config = JSON.parse(/<script type="application\/json" id="chart-per-layer-config">(.*?)<\/script>/.exec(html)![1]!);
    const bars = config.data.datasets[1];
    expect(bars.data[0]).toBe(config.options.scales.y.max);
    expect(bars.pointLabels[0]).toBe('∞ dB (exact)');
    expect(config.data.datasets[0].data[0]).toBeNull(); // conv0 adds no noise: no point is drawn for it
    expect(config.data.datasets[0].data[1]).toBeCloseTo(12, 10);
  });

  it('says why a section has no data', () => {
    const html = renderReport(data({ latency: undefined, perLayer: undefined, fidelity: undefined, unavailable: { latency: 'no time', perLayer: 'no values' } }), assets);
    expect(html).toContain('no time');
    expect(html).toContain('no values');
    expect(html).toContain('The models were not run side by side.');
  });
});
