import { UsageError } from '../errors.js';
import type { Model } from '../ir/model.js';
import type { Diagnostic } from '../diagnostics.js';
import type { GptqOptions } from '../quant/gptq-core.js';
import type { HqqOptions } from '../quant/hqq.js';
import type { LayerCalibration } from './hessians.js';
import { int4Settings, type Int4Format, type Int4Method } from './int4/settings.js';

export const MODES = ['weights-int8', 'dynamic', 'fp16', 'int8', 'int4'] as const;
export type QuantizeMode = (typeof MODES)[number];
/** Modes implemented in this version; the others are planned and refused with a clear message. */
export const AVAILABLE_MODES: readonly QuantizeMode[] = ['weights-int8', 'dynamic', 'fp16', 'int8', 'int4'];

export const WEIGHT_METHODS = ['rtn', 'gptq'] as const;
export type WeightMethod = (typeof WEIGHT_METHODS)[number];

export interface QuantizeOptions {
  mode: QuantizeMode;
  /** One scale per tensor instead of per output channel. */
  perTensor?: boolean;
  /** Weights: symmetric int8 (default) or asymmetric uint8. */
  symmetric?: boolean;
  /** 7-bit weights for processors without VNNI. */
  reduceRange?: boolean;
  /** Node names or op types to leave in float. */
  exclude?: string[];
  /** Quantize Gather embedding tables (int8 weight-only): off by default in weights-int8, on in dynamic. */
  gather?: boolean;
  /** fp16: keep float32 model inputs and outputs (default true). */
  keepIoTypes?: boolean;
  /** fp16: extra op types to keep in float32. */
  fp16Block?: string[];
  /** Run the checker after each pass and name a pass that breaks the graph. */
  debug?: boolean;
  /**
   * int8: node names that keep float inputs (not even a DequantizeLinear in front), so that
   * onnxruntime cannot fuse them. A workaround for onnxruntime 1.30, which in rare subgraph cases
   * (silero VAD) fails to load a model after fusing a residual Add ("two nodes with same node
   * name"); the CLI retries with the named node isolated.
   */
  isolate?: string[];
  /** int8: activation type (uint8 asymmetric by default, int8 symmetric). */
  /**
   * int8 mode: the activations' type. uint8 (asymmetric) and int8 (symmetric) run in onnxruntime's
   * int8 kernels; uint16 and int16 (opset 21 Q/DQ) are for fidelity, not speed: onnxruntime's CPU
   * build runs the ops between them in float.
   */
  activations?: 'uint8' | 'int8' | 'uint16' | 'int16';
  /**
   * int8 mode with 8-bit activations: these activation tensors (by name) get 16-bit Q/DQ instead —
   * uint16, or int16 under int8 activations — for the few tensors that lose most (the report and
   * `eval --per-layer` rank them). The ops reading or writing them run in float in onnxruntime,
   * the rest keeps its int8 kernels; the model moves to opset 21 for the 16-bit Q/DQ.
   */
  wideActivations?: string[];
  /**
   * int8: measures the range of each named tensor of the (prepared, float) model on calibration
   * data. The Node layer builds one from a data source and onnxruntime (src/node/calibrator.ts).
   */
  calibrate?: (model: Model, tensors: string[]) => Promise<CalibrationOutcome>;
  /** int4: rows along K (the input dimension) that share a scale; a power of two ≥ 16 (default 32). */
  blockSize?: number;
  /** int4: round to nearest (default), hqq (scale and zero fitted per block, no data) or gptq (needs int4Calibration). */
  int4Method?: Int4Method;
  /** int4: com.microsoft MatMulNBits (default) or standard ONNX: opset-21 blocked DequantizeLinear + MatMul. */
  int4Format?: Int4Format;
  /** int4 nbits: MatMulNBits accuracy_level 0–4 (4, the default: int8 activations, fastest on CPU). */
  accuracyLevel?: number;
  /** int4: also quantize Gather tables to 4 or 8 bits (com.microsoft GatherBlockQuantized); off by default. */
  gatherBits?: 4 | 8;
  /** int4 gptq: calibration samples and a runtime that computes each layer's input statistics. */
  int4Calibration?: LayerCalibration;
  /**
   * int8 and weights-int8: how weights are rounded onto their per-channel grid: to nearest (default), or gptq —
   * each layer's rounding errors compensated using its inputs on calibration data
   * (quantize/static/gptq-weights.ts). gptq needs `weightCalibration`.
   */
  weightMethod?: WeightMethod;
  /** Calibration samples and a runtime to measure each layer's inputs: weightMethod gptq and biasCorrection need it. */
  weightCalibration?: LayerCalibration;
  /**
   * int8: add to each Conv and Gemm bias its layer's mean output drift from rounding the weight and
   * the quantized (8- or 16-bit) input, W·E[clip(x)] − Ŵ·E[x̂]; weights-int8: (W − Ŵ)·E[x] into the
   * float bias. Measured on the quantized model over `weightCalibration`'s samples
   * (quantize/static/bias-correction.ts); a Conv or Gemm without a bias is given one. Off by default:
   * it lifts models whose filter taps nearly cancel (mlsd) and changes little elsewhere (README, Known limits).
   */
  biasCorrection?: boolean;
  /** int4 hqq: tuning (see quant/hqq.ts). */
  hqq?: HqqOptions;
  /** int4 gptq: tuning (see quant/gptq.ts). */
  gptq?: GptqOptions;
}

export interface CalibrationOutcome {
  ranges: Map<string, { min: number; max: number }>;
  /** Samples the ranges were measured on. */
  samples?: number;
  /** Tensors that got no range, with the reason. */
  warnings?: Diagnostic[];
}

/**
 * Options that only some modes read. Given with another mode they would be ignored without a
 * word, and the caller would believe they had an effect. (The CLI's flags are these names in
 * kebab case: blockSize is --block-size.)
 */
export const OPTION_MODES: { readonly [K in keyof QuantizeOptions]?: readonly QuantizeMode[] } = {
  perTensor: ['weights-int8', 'dynamic', 'int8'],
  symmetric: ['weights-int8', 'dynamic', 'int8', 'int4'],
  reduceRange: ['weights-int8', 'dynamic', 'int8'],
  gather: ['weights-int8', 'dynamic'],
  keepIoTypes: ['fp16'],
  fp16Block: ['fp16'],
  isolate: ['int8'],
  activations: ['int8'],
  wideActivations: ['int8'],
  calibrate: ['int8'],
  blockSize: ['int4'],
  int4Method: ['int4'],
  int4Format: ['int4'],
  accuracyLevel: ['int4'],
  gatherBits: ['int4'],
  int4Calibration: ['int4'],
  hqq: ['int4'],
  weightCalibration: ['int8', 'weights-int8'],
  biasCorrection: ['int8', 'weights-int8'],
  gptq: ['int4', 'int8', 'weights-int8'],
};

/** The options given that `options.mode` does not read, each with the modes that do. */
export function optionsForOtherModes(options: QuantizeOptions): [keyof QuantizeOptions, readonly QuantizeMode[]][] {
  const given = options as unknown as Record<string, unknown>;
  return (Object.entries(OPTION_MODES) as [keyof QuantizeOptions, readonly QuantizeMode[]][]).filter(([key, modes]) => given[key] !== undefined && !modes.includes(options.mode));
}

const ACTIVATION_TYPES = ['uint8', 'int8', 'uint16', 'int16'];

/** Every option quantize() reads: a name outside it is a typo (blocksize) that would do nothing. */
const KNOWN_OPTIONS = new Set<string>(['mode', 'exclude', 'debug', 'weightMethod', ...Object.keys(OPTION_MODES)]);
const BOOLEAN_OPTIONS = ['perTensor', 'symmetric', 'reduceRange', 'gather', 'keepIoTypes', 'debug', 'biasCorrection'] as const;
const FUNCTION_OPTIONS = ['calibrate'] as const;

/** Unknown option names, and options of the wrong kind (reduceRange: 'false' would read as true). */
function checkOptionKinds(options: QuantizeOptions): void {
  const given = options as unknown as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (KNOWN_OPTIONS.has(key) || given[key] === undefined) continue;
    const near = [...KNOWN_OPTIONS].find((k) => k.toLowerCase() === key.toLowerCase());
    throw new UsageError(`unknown option '${key}'${near ? ` (did you mean '${near}'?)` : `; quantize() reads ${[...KNOWN_OPTIONS].join(', ')}`}`, { code: 'bad-option' });
  }
  for (const key of BOOLEAN_OPTIONS) {
    if (given[key] !== undefined && typeof given[key] !== 'boolean') throw new UsageError(`${key} takes true or false, got ${JSON.stringify(given[key])}`, { code: 'bad-option' });
  }
  for (const key of FUNCTION_OPTIONS) {
    if (given[key] !== undefined && typeof given[key] !== 'function') throw new UsageError(`${key} takes a function (nodeCalibrator(source) makes one), got ${JSON.stringify(given[key])}`, { code: 'bad-option' });
  }
}

export function checkOptions(options: QuantizeOptions): void {
  if (typeof options !== 'object' || options === null) throw new UsageError(`quantize() takes an options object with at least { mode }, got ${options === null ? 'null' : typeof options}`, { code: 'bad-option' });
  if (!MODES.includes(options.mode)) {
    throw new UsageError(`unknown mode '${options.mode}': choose one of ${MODES.join(', ')}`, { code: 'bad-mode' });
  }
  if (!AVAILABLE_MODES.includes(options.mode)) {
    throw new UsageError(`mode '${options.mode}' is not available in this version yet (available: ${AVAILABLE_MODES.join(', ')})`, { code: 'mode-unavailable' });
  }
  checkOptionKinds(options);
  const misplaced = optionsForOtherModes(options);
  if (misplaced.length) throw new UsageError(`${misplaced.map(([key, modes]) => `${key} is for mode ${modes.join(', ')}`).join('; ')}, not ${options.mode}`, { code: 'bad-option' });
  for (const key of ['exclude', 'fp16Block', 'wideActivations', 'isolate'] as const) {
    const names = options[key];
    if (names !== undefined && !(Array.isArray(names) && names.every((n) => typeof n === 'string'))) throw new UsageError(`${key} takes an array of names, got ${JSON.stringify(names)}`, { code: 'bad-option' });
  }
  if (options.activations !== undefined && !ACTIVATION_TYPES.includes(options.activations)) throw new UsageError(`activations must be one of ${ACTIVATION_TYPES.join(', ')}, got '${String(options.activations)}'`, { code: 'bad-option' });
  if (options.mode === 'int4') int4Settings(options);
  if (options.weightMethod !== undefined) {
    if (!WEIGHT_METHODS.includes(options.weightMethod)) throw new UsageError(`weight method must be one of ${WEIGHT_METHODS.join(', ')}, got '${options.weightMethod}'`, { code: 'bad-option' });
    if (options.mode !== 'int8' && options.mode !== 'weights-int8') throw new UsageError(`the weight method (--weight-method) is for --mode int8 and weights-int8${options.mode === 'int4' ? '; int4 has --int4-method' : ''}`, { code: 'bad-option' });
    if (options.weightMethod === 'gptq' && !options.weightCalibration) throw new UsageError('weight method gptq needs calibration data to measure each layer\'s inputs: give --calib SOURCE (from the library, options.weightCalibration)', { code: 'no-calibration' });
  }
  if (options.biasCorrection === true && (options.mode === 'int8' || options.mode === 'weights-int8') && !options.weightCalibration) {
    throw new UsageError('bias correction needs calibration samples to measure each layer\'s input means: give --calib SOURCE (from the library, options.weightCalibration)', { code: 'no-calibration' });
  }
}
