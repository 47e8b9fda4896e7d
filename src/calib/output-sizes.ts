import { byteSizeOf } from '../ir/dtype.js';
import { isTensorType, staticShape, tensorType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { decodeModel } from '../serde/decode.js';
import { inferTypes } from '../passes/infer-types/infer-types.js';
import type { Feeds } from '../runner/runner.js';

/** Bytes a value takes as a run's output, when its type and shape are known. */
export function valueBytes(value: Value | undefined): number | undefined {
  const type = value?.type;
  const shape = staticShape(type);
  if (!shape || !isTensorType(type)) return undefined;
  return byteSizeOf(type.elemType, shape.reduce((a, b) => a * b, 1));
}

/**
 * Output sizes when some are not static: the dims of a real sample are written into the inputs of a
 * scratch copy, every intermediate type is forgotten (exporters declare value_info with symbolic
 * dims such as "unk__0" that inference would otherwise keep), and shapes are inferred again. The
 * calibrated model itself keeps its symbolic dims, so samples of other sizes still run.
 */
export function bytesForSample(modelBytes: Uint8Array, feeds: Feeds, names: readonly string[]): (number | undefined)[] {
  const scratch = decodeModel(modelBytes);
  for (const input of scratch.graph.inputs) {
    const fed = feeds[input.name];
    if (fed && isTensorType(input.type)) input.type = tensorType(input.type.elemType, [...fed.dims]);
  }
  for (const graph of scratch.allGraphs()) {
    for (const node of graph.nodes) for (const out of node.outputs) if (out && !out.isGraphOutput()) out.type = undefined;
  }
  inferTypes(scratch);
  const byName = new Map<string, Value>();
  for (const node of scratch.graph.nodes) for (const out of node.outputs) if (out) byName.set(out.name, out);
  return names.map((name) => valueBytes(byName.get(name)));
}
