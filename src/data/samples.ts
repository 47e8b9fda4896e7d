import { DataType, dtypeName, type TypedArray } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { isTensorType, type Dim } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import type { Feeds, HostTensor } from '../runner/runner.js';
import { UsageError } from '../errors.js';

/** Samples for calibration, verification and evaluation: one Feeds object per model run. */
export interface SampleSource {
  /** For messages: "folder calib/ (120 .npy files)". */
  readonly label: string;
  /** Number of samples, when known in advance (progress bars). */
  readonly size: number | undefined;
  samples(): AsyncIterable<Feeds>;
}

/** The model's real inputs (initializers listed as inputs are not fed). */
export function feedInputs(model: Model): Value[] {
  return model.graph.inputs.filter((v) => !v.initializer);
}

/**
 * How an array of these dims is cut into samples for an input of this shape: along a leading batch
 * axis, given the batch axis of 1 it was saved without, in pieces of a fixed batch size, or whole.
 */
type Split = { kind: 'whole' } | { kind: 'leading-axis' } | { kind: 'add-batch-axis' } | { kind: 'batches'; size: number } | { kind: 'bad-rank'; rank: number };

function splitOf(dims: readonly number[], shape: readonly Dim[]): Split {
  const rank = shape.length;
  if (dims.length === rank + 1) return { kind: 'leading-axis' };
  // One sample saved without its batch axis of 1 (numpy's img.shape): add it.
  if (rank > 0 && dims.length === rank - 1 && (shape[0] === 1 || typeof shape[0] !== 'number')) return { kind: 'add-batch-axis' };
  if (dims.length !== rank) return { kind: 'bad-rank', rank };
  const batch = typeof shape[0] === 'number' ? shape[0] : 1;
  if (rank > 0 && dims[0]! > batch && dims[0]! % batch === 0) return { kind: 'batches', size: batch };
  return { kind: 'whole' };
}

/** How many samples splitForInput makes of an array of these dims (read from a file's header before its data). */
export function samplesIn(dims: readonly number[], input: Value): number {
  const type = input.type;
  if (!isTensorType(type) || type.shape === undefined) return 1;
  const split = splitOf(dims, type.shape);
  return split.kind === 'leading-axis' ? dims[0]! : split.kind === 'batches' ? dims[0]! / split.size : 1;
}

/**
 * Split an array into samples for one input. A leading batch axis is allowed: an array of rank
 * r+1 for an input of rank r, or one whose first dim is larger than a fixed batch dim, is cut along
 * axis 0 into pieces of the input's batch size (1 when it is symbolic).
 */
export function splitForInput(array: HostTensor, input: Value, file: string): HostTensor[] {
  const type = input.type;
  if (!isTensorType(type)) throw new UsageError(`${file}: input '${input.name}' is not a tensor`, { code: 'bad-data' });
  const data = convertDtype(array, type.elemType, input.name, file);
  const shape = type.shape;
  if (shape === undefined) return [data];
  const split = splitOf(data.dims, shape);
  if (split.kind === 'bad-rank') throw new UsageError(`${file}: array of shape [${array.dims.join(',')}] does not fit input '${input.name}' of rank ${split.rank}`, { code: 'bad-data' });
  const pieces =
    split.kind === 'leading-axis'
      ? cut(data, 1).map((t) => ({ ...t, dims: t.dims.slice(1) }))
      : split.kind === 'add-batch-axis'
        ? [{ ...data, dims: [1, ...data.dims] }]
        : split.kind === 'batches'
          ? cut(data, split.size)
          : [data];
  // A fixed size that does not match fails here, naming the file, rather than in onnxruntime.
  const dims = pieces[0]?.dims ?? [];
  const axis = shape.findIndex((d, i) => typeof d === 'number' && d >= 0 && dims[i] !== d);
  if (axis >= 0) {
    throw new UsageError(`${file}: a sample of shape [${dims.join(', ')}] does not fit input '${input.name}' [${shape.map((d) => d ?? '?').join(', ')}]: axis ${axis} is ${dims[axis]}, the model takes ${shape[axis]}`, { code: 'bad-data' });
  }
  return pieces;
}

function cut(t: HostTensor, size: number): HostTensor[] {
  const n = t.dims[0]!;
  const per = (t.data as TypedArray).length / n;
  const out: HostTensor[] = [];
  for (let i = 0; i < n; i += size) {
    out.push({ dtype: t.dtype, dims: [size, ...t.dims.slice(1)], data: (t.data as TypedArray).subarray(i * per, (i + size) * per) });
  }
  return out;
}

/** numpy saves float64 and int32 by default; convert where it is lossless enough, else say what is wrong. */
function convertDtype(t: HostTensor, want: DataType, input: string, file: string): HostTensor {
  if (t.dtype === want) return t;
  const src = t.data as TypedArray;
  if (want === DataType.FLOAT && (t.dtype === DataType.DOUBLE || t.dtype === DataType.INT32 || t.dtype === DataType.UINT8 || t.dtype === DataType.INT64)) {
    return { dtype: want, dims: t.dims, data: Float32Array.from(src as ArrayLike<number | bigint>, Number) };
  }
  if (want === DataType.INT64 && (t.dtype === DataType.INT32 || t.dtype === DataType.UINT8 || t.dtype === DataType.INT8 || t.dtype === DataType.UINT16)) {
    return { dtype: want, dims: t.dims, data: BigInt64Array.from(src as ArrayLike<number>, (v) => BigInt(v)) };
  }
  if (want === DataType.INT32 && t.dtype === DataType.INT64) {
    return { dtype: want, dims: t.dims, data: Int32Array.from(src as BigInt64Array, (v) => Number(v)) };
  }
  throw new UsageError(`${file}: holds ${dtypeName(t.dtype)}, but input '${input}' takes ${dtypeName(want)}`, { code: 'bad-data' });
}

export function feedsLabel(feeds: Feeds): string {
  return Object.entries(feeds)
    .map(([k, v]) => `${k}:${dtypeName(v.dtype)}[${v.dims.join(',')}]`)
    .join(' ');
}
