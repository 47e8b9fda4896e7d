import type { Model } from '../../src/ir/model.js';
import { decodeModel } from '../../src/serde/decode.js';
import { encodeModel } from '../../src/serde/encode.js';
import { Value } from '../../src/ir/value.js';
import type { Feeds } from '../../src/runner/runner.js';
import { runOnce } from './ort.js';

/**
 * The simplest possible calibrator, for tests: run the float model once per sample with every
 * wanted tensor as an output, and take the exact min and max. An oracle independent of src/calib.
 */
export function minMaxCalibrator(samples: Feeds[]): (model: Model, tensors: string[]) => Promise<{ ranges: Map<string, { min: number; max: number }> }> {
  return async (model, tensors) => {
    const copy = decodeModel(encodeModel(model));
    const byName = new Map<string, Value>();
    for (const node of copy.graph.nodes) for (const o of node.outputs) if (o) byName.set(o.name, o);
    for (const v of copy.graph.inputs) byName.set(v.name, v);
    for (const name of tensors) {
      const v = byName.get(name);
      if (v && !copy.graph.outputs.includes(v)) copy.graph.outputs.push(v);
    }
    const bytes = encodeModel(copy);
    const ranges = new Map<string, { min: number; max: number }>();
    for (const feeds of samples) {
      const out = { ...(await runOnce(bytes, feeds)) };
      for (const name of tensors) {
        const data = (out[name]?.data ?? feeds[name]?.data) as Float32Array | undefined;
        if (!data) continue;
        let min = Infinity;
        let max = -Infinity;
        for (const x of data) {
          if (x < min) min = x;
          if (x > max) max = x;
        }
        const prior = ranges.get(name);
        ranges.set(name, prior ? { min: Math.min(prior.min, min), max: Math.max(prior.max, max) } : { min, max });
      }
    }
    return { ranges };
  };
}
