import type { Diagnostic } from '../diagnostics.js';
import type { QuantizeOptions } from './options.js';

type Calibrate = NonNullable<QuantizeOptions['calibrate']>;

/**
 * Each tensor's range is measured once, however many times the model is quantized again (the
 * --target-cosine search, the retries for onnxruntime's fusion failures).
 */
export function memoizeCalibration(calibrate: Calibrate): Calibrate {
  const ranges = new Map<string, { min: number; max: number }>();
  let samples: number | undefined;
  return async (model, tensors) => {
    const missing = tensors.filter((t) => !ranges.has(t));
    const warnings: Diagnostic[] = [];
    if (missing.length) {
      const outcome = await calibrate(model, missing);
      for (const [name, r] of outcome.ranges) ranges.set(name, r);
      samples = outcome.samples;
      warnings.push(...(outcome.warnings ?? []));
    }
    return { ranges: new Map(tensors.filter((t) => ranges.has(t)).map((t) => [t, ranges.get(t)!])), ...(samples !== undefined ? { samples } : {}), warnings };
  };
}
