/**
 * The exact command that re-quantizes a model with the suggested layers left in float. A model
 * made by lowbit records its mode and options in metadata_props (quantize.ts, recordProvenance), so
 * the command repeats them and adds the new names to any --exclude already given; for a model made
 * by another tool only the --exclude part can be said.
 */

import { PROVENANCE_KEYS } from '../quantize/provenance-keys.js';

export interface ExcludeCommandInput {
  /** Node names to leave in float. */
  exclude: readonly string[];
  floatPath: string;
  quantizedPath: string;
  /** The quantized model's metadata_props. */
  metadata: readonly (readonly [string, string])[];
  /**
   * Where a recorded calibration folder is from here: quantize records it relative to the model
   * it wrote (calibFromModel); the caller, who knows the model's path and the working folder,
   * turns it into a path that works where the command is printed. Without it, the path as recorded.
   */
  locate?: (fromModel: string) => string;
}

/**
 * Where the command writes: next to the evaluated model under a new name, so that running it does
 * not overwrite the model being compared (q.int8.onnx → q.int8-excluded.onnx).
 */
export function excludedOutputPath(quantizedPath: string): string {
  return quantizedPath.replace(/(\.onnx)?$/i, (ext) => `-excluded${ext || '.onnx'}`);
}

/** metadata_props key under which the CLI records its calibration flags (cli/quantize.ts). */
export const CALIBRATION_METADATA_KEY = PROVENANCE_KEYS.calibration;

/** Recorded option → command-line flag, for the options that change what quantize emits. */
const FLAGS: Record<string, (value: unknown) => string[]> = {
  perTensor: (v) => (v ? ['--per-tensor'] : []),
  activations: (v) => (typeof v === 'string' && v !== 'uint8' ? ['--activations', v] : []),
  wideActivations: (v) => (Array.isArray(v) && v.length ? ['--wide-activations', v.join(',')] : []),
  weightMethod: (v) => (typeof v === 'string' && v !== 'rtn' ? ['--weight-method', v] : []),
  int4Method: (v) => (typeof v === 'string' ? ['--int4-method', v] : []),
  int4Format: (v) => (typeof v === 'string' ? ['--int4-format', v] : []),
  blockSize: (v) => (typeof v === 'number' ? ['--block-size', String(v)] : []),
  accuracyLevel: (v) => (typeof v === 'number' ? ['--accuracy-level', String(v)] : []),
  symmetric: (v) => (v === false ? ['--asymmetric'] : []),
  reduceRange: (v) => (v ? ['--reduce-range'] : []),
  gather: (v) => (v ? ['--gather'] : []),
  keepIoTypes: (v) => (typeof v === 'boolean' ? ['--keep-io-types', String(v)] : []),
  fp16Block: (v) => (Array.isArray(v) && v.length ? ['--fp16-block', v.join(',')] : []),
};

/** `--exclude a,b` alone, or the whole `lowbit quantize …` line when the model says how it was made. */
export function excludeCommand(input: ExcludeCommandInput): string | undefined {
  if (input.exclude.length === 0) return undefined;
  const meta = new Map(input.metadata);
  const mode = meta.get(PROVENANCE_KEYS.mode);
  const recorded = parseOptions(meta.get(PROVENANCE_KEYS.options));
  const previous = Array.isArray(recorded.exclude) ? recorded.exclude.map(String) : [];
  const exclude = ['--exclude', [...new Set([...previous, ...input.exclude])].join(',')];
  if (!mode) return exclude.map(shellWord).join(' ');
  const flags = Object.entries(recorded).flatMap(([key, value]) => FLAGS[key]?.(value) ?? []);
  const recordedCalibration = parseOptions(meta.get(CALIBRATION_METADATA_KEY));
  const fromModel = recordedCalibration.calibFromModel;
  if (typeof fromModel === 'string') recordedCalibration.calib = input.locate ? input.locate(fromModel) : fromModel;
  const calibration = Object.keys(CALIBRATION_FLAGS).flatMap((key) => (typeof recordedCalibration[key] === 'string' ? [CALIBRATION_FLAGS[key]!, recordedCalibration[key] as string] : []));
  return ['lowbit', 'quantize', input.floatPath, '-o', excludedOutputPath(input.quantizedPath), '--mode', mode, ...calibration, ...flags, ...exclude].map(shellWord).join(' ');
}

/** Recorded calibration flag → its command-line name, in the order the command gives them. */
const CALIBRATION_FLAGS: Record<string, string> = {
  calib: '--calib',
  calibMethod: '--calib-method',
  percentile: '--percentile',
  samples: '--samples',
  preprocess: '--preprocess',
  dim: '--dim',
};

function parseOptions(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {}; // metadata written by hand or by another version: fall back to the flags we know
  }
}

/** Quote a word for POSIX shells only when it needs it, so plain node names stay readable. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
