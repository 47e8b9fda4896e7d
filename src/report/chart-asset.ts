// Node only: reads the charting library from node_modules when a report is written, so the
// package ships no copy of it and the page still gets the exact installed version inline.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LowbitError, errorMessage } from '../errors.js';
import type { ReportAssets } from './report-data.js';

let cached: ReportAssets | undefined;

export function loadReportAssets(): ReportAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    // chart.js exports only its module builds; the UMD file (one script, global `Chart`) sits beside them.
    const dist = dirname(require.resolve('chart.js'));
    const chartScript = readFileSync(join(dist, 'chart.umd.min.js'), 'utf8');
    const { version } = JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')) as { version: string };
    cached = { chartScript, chartVersion: version };
    return cached;
  } catch (error) {
    throw new LowbitError(`cannot read the charting library for the report (chart.js, a dependency of lowbit): ${errorMessage(error)}`, { code: 'report-assets', cause: error });
  }
}
