import type { Feeds } from '../runner/runner.js';
import type { SampleSource } from '../data/samples.js';
import { LowbitError } from '../errors.js';

/** The first sample of a source: the inputs for timing, and for sizing what a run returns. */
export async function firstSample(source: SampleSource): Promise<Feeds> {
  for await (const feeds of source.samples()) return feeds;
  throw new LowbitError(`data source ${source.label} gave no samples`, { code: 'no-samples' });
}
