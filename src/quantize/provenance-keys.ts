/**
 * The metadata_props keys lowbit writes into every quantized model: quantize() records the version,
 * mode and options, the CLI its calibration flags. `eval` and the report read them back to print a
 * re-quantize command; `convert --to fp32` drops the quantization ones once it has undone it.
 */
export const PROVENANCE_KEYS = {
  version: 'lowbit.version',
  mode: 'lowbit.mode',
  options: 'lowbit.options',
  calibration: 'lowbit.calibration',
} as const;

/** The keys that describe how a model was quantized (not who wrote it). */
export const QUANTIZATION_KEYS: ReadonlySet<string> = new Set([PROVENANCE_KEYS.mode, PROVENANCE_KEYS.options, PROVENANCE_KEYS.calibration]);
