import type { LayerFidelity } from '../eval/layer-ranking.js';
import type { ModelTiming } from '../eval/bench.js';

// Chart.js configurations, as plain data (the page script passes them to `new Chart`). Colours are
// the two of the page: float in slate, quantized in teal; layers suggested for --exclude in red.

const FLOAT_COLOUR = '#64748b';
const QUANTIZED_COLOUR = '#0d9488';
const FLAGGED_COLOUR = '#dc2626';
const ADDED_COLOUR = '#f59e0b';

const COMMON = { animation: false, responsive: true, maintainAspectRatio: false };

/** Grouped bars of megabytes per dtype, before and after. */
export function bytesChart(before: Record<string, number>, after: Record<string, number>): unknown {
  const dtypes = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const mb = (table: Record<string, number>) => dtypes.map((d) => (table[d] ?? 0) / 1e6);
  return {
    type: 'bar',
    data: {
      labels: dtypes,
      datasets: [
        { label: 'float model (MB)', data: mb(before), backgroundColor: FLOAT_COLOUR },
        { label: 'quantized model (MB)', data: mb(after), backgroundColor: QUANTIZED_COLOUR },
      ],
    },
    options: { ...COMMON, scales: { y: { beginAtZero: true, title: { display: true, text: 'MB' } } } },
  };
}

/**
 * SQNR per node output in graph order, with the noise each node adds as points over the bars.
 * Exact values (∞ dB) are drawn at the top of the scale and labelled so: JSON has no Infinity.
 */
export function perLayerChart(layers: readonly LayerFidelity[], flagged: ReadonlySet<string>): unknown {
  const ordered = [...layers].sort((a, b) => a.order - b.order);
  const finite = ordered.flatMap((l) => [l.sqnrDb, l.addedSqnrDb]).filter(Number.isFinite);
  const top = Math.ceil((finite.length ? Math.max(...finite) : 0) / 10) * 10 + 10;
  const bottom = Math.min(0, Math.floor((finite.length ? Math.min(...finite) : 0) / 10) * 10);
  const clamp = (db: number) => (db === Infinity ? top : db === -Infinity ? bottom : db);
  const label = (db: number) => (db === Infinity ? '∞ dB (exact)' : db === -Infinity ? '−∞ dB' : `${db.toFixed(1)} dB`);
  return {
    type: 'bar',
    data: {
      labels: ordered.map((l) => l.node || l.value),
      datasets: [
        {
          type: 'line',
          label: 'added by the node (dB)',
          // A node whose noise is lost in its input's draws no point, rather than one at the top that would read as perfect.
          data: ordered.map((l) => (l.addedSqnrDb === Infinity ? null : clamp(l.addedSqnrDb))),
          pointLabels: ordered.map((l) => (l.addedSqnrDb === Infinity ? 'none seen' : label(l.addedSqnrDb))),
          borderColor: ADDED_COLOUR,
          backgroundColor: ADDED_COLOUR,
          showLine: false,
          pointRadius: 2,
        },
        {
          label: 'SQNR of the output (dB)',
          data: ordered.map((l) => clamp(l.sqnrDb)),
          pointLabels: ordered.map((l) => label(l.sqnrDb)),
          backgroundColor: ordered.map((l) => (flagged.has(l.node) ? FLAGGED_COLOUR : l.quantized ? QUANTIZED_COLOUR : FLOAT_COLOUR)),
        },
      ],
    },
    options: {
      ...COMMON,
      scales: { x: { ticks: { autoSkip: true, maxRotation: 60 } }, y: { min: bottom, max: top, title: { display: true, text: 'dB (higher is closer to float)' } } },
    },
  };
}

/** Median latency per model as horizontal bars. */
export function latencyChart(models: readonly ModelTiming[], names: readonly string[]): unknown {
  return {
    type: 'bar',
    data: {
      labels: names,
      datasets: [{ label: 'median latency (ms)', data: models.map((m) => m.medianMs), backgroundColor: models.map((_, i) => (i === 0 ? FLOAT_COLOUR : QUANTIZED_COLOUR)) }],
    },
    options: { ...COMMON, indexAxis: 'y', scales: { x: { beginAtZero: true, title: { display: true, text: 'ms' } } } },
  };
}

/**
 * The page script: turns every canvas with a config into a chart, and shows `pointLabels` (the
 * exact figures, ∞ included) in tooltips instead of the clamped numbers drawn.
 */
export const PAGE_SCRIPT = `
(function () {
  for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
    const config = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
    config.options.plugins = Object.assign({}, config.options.plugins, {
      tooltip: { callbacks: { label: function (item) {
        const labels = item.dataset.pointLabels;
        return item.dataset.label + ': ' + (labels ? labels[item.dataIndex] : item.formattedValue);
      } } },
    });
    new Chart(canvas, config);
  }
  document.body.dataset.chartsReady = 'true';
})();
`;
