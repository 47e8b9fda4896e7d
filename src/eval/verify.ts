import { DataType, type TypedArray } from '../ir/dtype.js';
import { halfToFloat } from '../ir/tensor/float16.js';
import type { HostTensor, Runner } from '../runner/runner.js';
import type { SampleSource } from '../data/samples.js';
import { LowbitError } from '../errors.js';
import { FidelityAccumulator, classAxisSize, type FidelityMetrics } from './metrics.js';

export interface OutputFidelity extends FidelityMetrics {
  name: string;
}

export interface VerifyResult {
  samples: number;
  /** Where the inputs came from; random inputs say little about real accuracy. */
  source: string;
  outputs: OutputFidelity[];
}

export interface VerifyProgress {
  (done: number, total: number | undefined): void;
}

/**
 * Run the reference (float) and candidate (quantized) models on the same samples and measure each
 * output of the candidate against the reference. Only running sums are kept per output.
 */
export async function verifyRunners(reference: Runner, candidate: Runner, source: SampleSource, onProgress?: VerifyProgress): Promise<VerifyResult> {
  const names = reference.outputs.map((o) => o.name).filter((n) => candidate.outputs.some((c) => c.name === n));
  if (names.length === 0) throw new LowbitError('the quantized model has none of the float model\'s outputs', { code: 'verify-mismatch' });
  const acc = new Map(names.map((n) => [n, new FidelityAccumulator()]));
  let samples = 0;
  for await (const feeds of source.samples()) {
    const [ref, out] = [await reference.run(feeds, names), await candidate.run(feeds, names)];
    for (const name of names) {
      const r = ref[name]!;
      const q = out[name]!;
      acc.get(name)!.add(asNumbers(r), asNumbers(q), classAxisSize(r.dims));
    }
    samples++;
    onProgress?.(samples, source.size);
  }
  if (samples === 0) throw new LowbitError(`data source ${source.label} gave no samples`, { code: 'no-samples' });
  return { samples, source: source.label, outputs: names.map((name) => ({ name, ...acc.get(name)!.result() })) };
}

/** Output values as numbers: float16 bits decoded, int64 converted. */
export function asNumbers(t: HostTensor): ArrayLike<number> {
  if (Array.isArray(t.data)) throw new LowbitError('string outputs cannot be compared numerically', { code: 'verify-type' });
  const data = t.data as TypedArray;
  if (t.dtype === DataType.FLOAT16) return Float32Array.from(data as Uint16Array, halfToFloat);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, Number);
  return data as ArrayLike<number>;
}
