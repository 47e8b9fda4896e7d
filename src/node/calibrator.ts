import type { SampleSource } from '../data/samples.js';
import { calibrate } from '../calib/calibrate.js';
import type { CalibrateOptions } from '../calib/options.js';
import type { QuantizeOptions } from '../quantize/options.js';
import { createNodeRunner } from '../runner/ort-node.js';

/** The quantizer's calibration callback for Node: `source` through onnxruntime-node. */
export function nodeCalibrator(source: SampleSource, options: CalibrateOptions = { method: 'minmax' }): NonNullable<QuantizeOptions['calibrate']> {
  return async (model, tensors) => {
    const result = await calibrate(model, tensors, source, (bytes) => createNodeRunner(bytes), options);
    return { ranges: result.ranges, samples: result.samples, warnings: result.skipped };
  };
}
