import { DataType, dtypeName, type TypedArray } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Value } from '../ir/value.js';
import { isTensorType, type Dim } from '../ir/types.js';
import type { Feeds, HostTensor } from '../runner/runner.js';
import { LowbitError, UsageError } from '../errors.js';
import { seededRandom } from '../util/random.js';
import { floatToHalf } from '../ir/tensor/float16.js';

/** How to fill one input: a constant, or uniform random numbers in [min, max). */
export interface InputHint {
  value?: number;
  min?: number;
  max?: number;
}

export interface GenerateOptions {
  /** Sizes for symbolic or unknown dims, by dim name ("batch") or "input:axis" ("x:2"). Unnamed unknown dims default to 1. */
  dims?: Record<string, number>;
  /** Per-input overrides. */
  hints?: Record<string, InputHint>;
  seed?: number;
}

/**
 * Inputs made from the model's declared input types, for verification when the user gives no data:
 * floats uniform in [0, 1) (image-like), integer ids within the size of the table they index
 * (found through Gather), inputs named like masks set to 1. Random inputs say little about
 * accuracy; callers say so.
 */
export function generateInputs(model: Model, options: GenerateOptions = {}): Feeds {
  const feeds: Feeds = {};
  const rand = seededRandom(options.seed ?? 1234);
  for (const input of model.graph.inputs) {
    if (input.initializer) continue;
    feeds[input.name] = generateOne(input, options, rand);
  }
  return feeds;
}

export function resolveDims(input: Value, dims: Record<string, number> = {}): number[] {
  return resolveDimsTelling(input, dims).sizes;
}

/** resolveDims, and whether some size was made up (a symbolic or unknown dim nobody gave: 1). */
function resolveDimsTelling(input: Value, dims: Record<string, number>): { sizes: number[]; madeUp: boolean } {
  const type = input.type;
  if (!isTensorType(type) || !type.shape) throw new UsageError(`input '${input.name}' has no declared shape; give its dims with --dim`, { code: 'unknown-shape' });
  let madeUp = false;
  const sizes = type.shape.map((d, axis) => {
    const byAxis = dims[`${input.name}:${axis}`];
    if (byAxis !== undefined) return byAxis;
    if (typeof d === 'number' && d >= 0) return d;
    if (typeof d === 'string' && dims[d] !== undefined) return dims[d]!;
    madeUp = true;
    return 1;
  });
  return { sizes, madeUp };
}

function generateOne(input: Value, options: GenerateOptions, rand: () => number): HostTensor {
  const type = input.type;
  if (!isTensorType(type)) throw new UsageError(`input '${input.name}' is not a tensor; lowbit cannot make data for it`, { code: 'unknown-shape' });
  const dims = resolveDims(input, options.dims);
  const count = dims.reduce((a, b) => a * b, 1);
  const hint = options.hints?.[input.name] ?? defaultHint(input);
  const draw = () => (hint.value !== undefined ? hint.value : (hint.min ?? 0) + rand() * ((hint.max ?? 1) - (hint.min ?? 0)));
  const dtype = type.elemType;
  let data: TypedArray;
  switch (dtype) {
    case DataType.FLOAT:
      data = Float32Array.from({ length: count }, draw);
      break;
    case DataType.DOUBLE:
      data = Float64Array.from({ length: count }, draw);
      break;
    case DataType.INT64:
      data = BigInt64Array.from({ length: count }, () => BigInt(Math.floor(draw())));
      break;
    case DataType.INT32:
      data = Int32Array.from({ length: count }, () => Math.floor(draw()));
      break;
    case DataType.UINT8:
      data = Uint8Array.from({ length: count }, () => Math.floor(draw()));
      break;
    case DataType.INT8:
      data = Int8Array.from({ length: count }, () => Math.floor(draw()));
      break;
    case DataType.BOOL:
      data = Uint8Array.from({ length: count }, () => (draw() >= 0.5 ? 1 : 0));
      break;
    case DataType.FLOAT16:
      data = Uint16Array.from({ length: count }, () => floatToHalf(draw()));
      break;
    default:
      throw new UsageError(`input '${input.name}' is ${dtypeName(dtype)}; lowbit cannot generate data for it, give data with --data`, { code: 'unsupported-input' });
  }
  return { dtype, dims, data };
}

/** Integer inputs that index a table (Gather) get ids below the table's size; masks get 1. */
function defaultHint(input: Value): InputHint {
  const type = input.type;
  const isInt = isTensorType(type) && [DataType.INT64, DataType.INT32].includes(type.elemType);
  if (!isInt) return type && isTensorType(type) && type.elemType === DataType.BOOL ? { value: 1 } : { min: 0, max: 1 };
  if (/mask/i.test(input.name)) return { value: 1 };
  const rows = tableRows(input);
  return rows !== undefined ? { min: 0, max: rows } : { min: 0, max: 2 };
}

function tableRows(input: Value): number | undefined {
  for (const use of input.uses()) {
    const node = use.node;
    if (node.opType === 'Gather' && use.index === 1) {
      const table = node.input(0)?.constTensor();
      if (table) return table.dims[node.attrInt('axis', 0)];
    }
  }
  return undefined;
}

/**
 * When onnxruntime fails on generated inputs, the likely cause is a size lowbit made up: an input's
 * symbolic dims default to 1, which a model that pads, frames or windows its input cannot run
 * (silero VAD: "Pad reflect requires axis length >= 2"). Adds the shapes that were used and what to
 * give instead; other errors pass through.
 */
export function withGeneratedInputsHint(error: unknown, model: Model, dims: Record<string, number> = {}): unknown {
  if (!(error instanceof LowbitError) || error.code !== 'runtime-failed') return error;
  const generated = generatedShapes(model, dims);
  const shapes = generated.map((g) => g.text);
  const advice = generated.some((g) => g.madeUp) ? 'symbolic dims not given with --dim were set to 1: give real sizes with --dim NAME=SIZE (e.g. batch=1,sequence=128), or real data' : 'give real data';
  return new LowbitError(`${error.message}\n  the inputs were generated (${shapes.join(', ')}); ${advice}`, { code: error.code, cause: error });
}

/**
 * Fails on a --dim name that sets nothing in the model: a symbolic dim no input has, or an
 * INPUT:AXIS whose input or axis does not exist. Ignored, it would leave the size at 1 and the
 * verification or timing would run on inputs of the wrong size without a word.
 */
export function checkDimNames(model: Model, dims: Record<string, number>, file: string): void {
  const symbolic = new Set<string>();
  const axes = new Set<string>();
  for (const { input, shape } of shapedInputs(model)) {
    shape.forEach((d, axis) => {
      const name = `${input.name}:${axis}`;
      axes.add(name);
      if (typeof d === 'string') symbolic.add(d);
      // A fixed axis takes only its own size: another would fail in onnxruntime, far from the flag.
      if (typeof d === 'number' && d >= 0 && dims[name] !== undefined && dims[name] !== d) {
        throw new UsageError(`--dim ${name}=${dims[name]}: axis ${axis} of input '${input.name}' in ${file} is fixed at ${d}`, { code: 'bad-option' });
      }
    });
  }
  const unknown = Object.keys(dims).filter((name) => !symbolic.has(name) && !axes.has(name));
  if (unknown.length === 0) return;
  const known = symbolic.size ? `its symbolic dims are ${[...symbolic].map((s) => `'${s}'`).join(', ')}` : 'it has no symbolic dims';
  throw new UsageError(`--dim: ${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length === 1 ? 'sets' : 'set'} nothing in ${file}: ${known}; INPUT:AXIS (e.g. ${[...axes][0] ?? 'x:0'}) sets one axis of one input`, { code: 'bad-option' });
}

/**
 * --dim checked and explained, as the commands that run a model say it: with generated inputs a
 * name the model lacks is an error and symbolic dims nobody gave get a note; when every input comes
 * from real samples (`realSource`), --dim sizes nothing, and the note says so whatever it names.
 */
export function dimsNote(model: Model, dims: Record<string, number>, file: string, inputs: { generated: boolean; realSource?: string | undefined }): string | undefined {
  if (!inputs.generated && inputs.realSource !== undefined) return unusedDimsNote(dims, inputs.realSource);
  checkDimNames(model, dims, file);
  return inputs.generated ? madeUpDimsNote(model, dims) : undefined;
}

/**
 * A note for generated inputs whose symbolic dims nobody gave (set to 1), or undefined when every
 * size is known: the figures measured on them may say little (a [1, 3, 1, 1] image, a one-token
 * sequence).
 */
export function madeUpDimsNote(model: Model, dims: Record<string, number> = {}): string | undefined {
  const shapes = generatedShapes(model, dims).filter((g) => g.madeUp).map((g) => g.text);
  if (shapes.length === 0) return undefined;
  return `generated inputs have symbolic dims set to 1 (${shapes.join(', ')}): give real sizes with --dim NAME=SIZE, or real data`;
}

/**
 * --dim given while every input comes from real samples: the sizes only shape generated inputs,
 * so they change nothing, which the user should hear rather than believe they took effect.
 */
export function unusedDimsNote(dims: Record<string, number>, source: string): string | undefined {
  const names = Object.keys(dims);
  if (names.length === 0) return undefined;
  return `--dim ${names.join(', ')} changes nothing here: it sizes generated inputs only, and the samples of ${source} bring their own shapes`;
}

/** --dim given to a command that runs the model on no input at all (quantize --no-verify without --calib). */
export function idleDimsNote(dims: Record<string, number>, why: string): string | undefined {
  const names = Object.keys(dims);
  if (names.length === 0) return undefined;
  return `--dim ${names.join(', ')} changes nothing here: it sizes the inputs the model is run on, and ${why}`;
}

/** The model's graph inputs with a declared tensor shape (initializers with defaults left out). */
function shapedInputs(model: Model): { input: Value; shape: Dim[] }[] {
  return model.graph.inputs.flatMap((input) => (!input.initializer && isTensorType(input.type) && input.type.shape ? [{ input, shape: input.type.shape }] : []));
}

/** Each shaped input's generated sizes ("x [1, 3, 1, 1]"), and whether some were made up. */
function generatedShapes(model: Model, dims: Record<string, number>): { text: string; madeUp: boolean }[] {
  return shapedInputs(model).map(({ input }) => {
    const { sizes, madeUp } = resolveDimsTelling(input, dims);
    return { text: `${input.name} [${sizes.join(', ')}]`, madeUp };
  });
}
