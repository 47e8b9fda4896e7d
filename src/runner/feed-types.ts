import { DataType, dtypeName, type TypedArray } from '../ir/dtype.js';
import { float32ArrayToHalf, halfArrayToFloat32 } from '../ir/tensor/float16.js';
import { LowbitError } from '../errors.js';
import type { Feeds, HostTensor, RunnerIO } from './runner.js';

/**
 * Feeds in the element types the model's inputs declare. float32 and float16 convert either way
 * (into float16 rounding half to even): a model converted to fp16 with `keepIoTypes: false` takes
 * float16, while data files, generated inputs and its float twin, run on the same feeds to compare,
 * speak float32. Any other mismatch is an error naming the input and both types, which
 * onnxruntime's own message does not. Returns `feeds` itself when nothing needs converting, so
 * that feeds converted once (before timing) pass through at no cost.
 */
export function matchFeedTypes(feeds: Feeds, inputs: readonly RunnerIO[]): Feeds {
  let out: Feeds | undefined;
  for (const [name, tensor] of Object.entries(feeds)) {
    const want = inputs.find((i) => i.name === name)?.dtype;
    // An unknown name or type is onnxruntime's to report.
    if (want === undefined || want === tensor.dtype) continue;
    (out ??= { ...feeds })[name] = convertFeed(name, tensor, want);
  }
  return out ?? feeds;
}

function convertFeed(name: string, tensor: HostTensor, want: DataType): HostTensor {
  if (!Array.isArray(tensor.data)) {
    if (tensor.dtype === DataType.FLOAT && want === DataType.FLOAT16) {
      return { dtype: want, dims: tensor.dims, data: float32ArrayToHalf(tensor.data as Float32Array) };
    }
    if (tensor.dtype === DataType.FLOAT16 && want === DataType.FLOAT) {
      return { dtype: want, dims: tensor.dims, data: float16Values(tensor.data) };
    }
  }
  throw new LowbitError(`input '${name}' of the model takes ${dtypeName(want)}, but the data given for it is ${dtypeName(tensor.dtype)}; lowbit converts only between float32 and float16`, {
    code: 'input-type-mismatch',
    tensor: name,
  });
}

/** float16 data as float32 values, whether it is held as bits (Uint16Array) or as a Float16Array. */
export function float16Values(data: TypedArray): Float32Array {
  return data instanceof Uint16Array ? halfArrayToFloat32(data) : Float32Array.from(data as ArrayLike<number>);
}

/**
 * float16 data as its bits, HostTensor's form: onnxruntime returns a Float16Array where the
 * platform has one (Node 24, recent browsers) and a Uint16Array elsewhere. A view, not a copy.
 */
export function float16Bits(data: TypedArray): Uint16Array {
  if (data instanceof Uint16Array) return data;
  if (data.BYTES_PER_ELEMENT !== 2) throw new TypeError(`float16 data held in a ${data.constructor.name}`);
  return new Uint16Array(data.buffer, data.byteOffset, data.length);
}
