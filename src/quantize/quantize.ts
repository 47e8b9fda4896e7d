import type { Diagnostic } from '../diagnostics.js';
import { formatDiagnostic } from '../diagnostics.js';
import { DataType } from '../ir/dtype.js';
import { checkModel, errorsOf } from '../ir/checker.js';
import { Model } from '../ir/model.js';
import { summarizeModel } from '../inspect/summary.js';
import { GraphCheckError, LowbitError, PassError, UsageError } from '../errors.js';
import { runPasses, type Pass } from '../passes/pass.js';
import { topoSortPass } from '../passes/topo-sort.js';
import { foldConstantCastsPass } from '../passes/fold-constant-casts.js';
import { constantsToInitializersPass } from '../passes/constants-to-initializers.js';
import { convertOpset } from '../passes/convert-opset/convert-opset.js';
import { inferTypes } from '../passes/infer-types/infer-types.js';
import { applyRules, nodesToRewrite, type Rule, type RuleOutcome } from '../rules/rule.js';
import { weightOnlyRule } from '../rules/weight-only.js';
import { QUANTIZED_ACTIVATION_OPS, constantWeight } from '../inspect/weights.js';
import { gptqNotes, roundWeightsWithGptq } from './gptq-weights.js';
import { correctFloatBiases } from './static/bias-correction.js';
import { biasCorrectionNote } from './static/bias-correction-note.js';
import { outputChannelAxis } from '../inspect/weights.js';
import { dynamicMatMulRule } from '../rules/dynamic-matmul.js';
import { keepConvFloatRule } from '../rules/keep-conv-float.js';
import { gatherQuantizedRule } from '../rules/gather-quantized.js';
import { VERSION } from '../version.js';
import { PROVENANCE_KEYS } from './provenance-keys.js';
import { checkOptions, type QuantizeMode, type QuantizeOptions } from './options.js';
import { WeightStore, oneGridNote } from './weight-store.js';
import { convertToFloat16 } from '../passes/fp16/convert-to-float16.js';
import { allTensors, namesNotInModel } from '../ir/walk.js';
import { isFloatType } from '../ir/dtype.js';
import { quantizeStatic } from './static/static.js';
import { quantizeInt4 } from './int4/int4.js';

export interface QuantizeResult {
  model: Model;
  mode: QuantizeMode;
  /** Nodes rewritten to a quantized form (for fp16: tensors and values converted). */
  quantized: number;
  /** Nodes left in float, each with the reason. */
  skipped: Diagnostic[];
  /** Things the user should know (clamped values, opset fallbacks). */
  warnings: Diagnostic[];
  /** Sentences about choices made (e.g. why convolutions stay float in dynamic mode). */
  notes: string[];
  /** True when there was nothing to quantize: the model is returned unchanged. */
  noop: boolean;
  /** Why there was nothing to do, where the mode can say better than the list of skipped nodes. */
  noopReason?: string;
  /** Weight bytes before and after, for the weights the mode rewrote. */
  weightBytes: { before: number; after: number };
  timingsMs: Record<string, number>;
}

/**
 * Quantize a model in memory. The model is rewritten in place and returned in the result; nothing
 * here touches files or runs the model (verification is the caller's, see eval/verify.ts).
 */
export async function quantize(model: Model, options: QuantizeOptions): Promise<QuantizeResult> {
  if (!(model instanceof Model)) {
    const loaded = typeof model === 'object' && model !== null && 'model' in model;
    throw new UsageError(`quantize() takes a Model${loaded ? ': give readModelFile(path).model, not what readModelFile returns' : ` (from readModelFile(path).model or decodeModel(bytes)), got ${model === null ? 'null' : typeof model}`}`, { code: 'bad-model' });
  }
  checkOptions(options);
  const timings: Record<string, number> = {};
  // Times synchronous steps, and asynchronous ones (calibration) until their promise settles.
  const time = <T>(label: string, fn: () => T): T => {
    const start = performance.now();
    const record = () => (timings[label] = (timings[label] ?? 0) + Math.round((performance.now() - start) * 10) / 10);
    let result: T;
    try {
      result = fn();
    } catch (error) {
      record();
      throw error;
    }
    if (result instanceof Promise) return result.finally(record) as T;
    record();
    return result;
  };
  refuseQuantizedInput(model, options.mode);
  const unmatched = namesNotInModel(model, options.exclude ?? []); // as given, before any rewrite
  const result =
    options.mode === 'fp16'
      ? time('fp16', () => quantizeFp16(model, options))
      : options.mode === 'int8'
        ? await quantizeStatic(model, options, time)
        : options.mode === 'int4'
          ? await quantizeInt4(model, options, timings)
          : await quantizeWeights(model, options, time);
  if (unmatched.length) {
    result.warnings.push({ code: 'exclude-unmatched', severity: 'warning', reason: `exclude: ${unmatched.map((n) => `'${n}'`).join(', ')} ${unmatched.length === 1 ? 'matches' : 'match'} no node name or op type of this model, so nothing was kept in float for ${unmatched.length === 1 ? 'it' : 'them'}` });
  }
  // A name that matches a node the mode never rewrites (a Relu that int8 folds into the Conv
  // before it) changes nothing; said, since the per-layer table can make such a node look costly.
  // fp16 keeps blocked nodes under its own codes, and every op it touches is its to keep.
  const idle = options.mode === 'fp16' ? [] : (options.exclude ?? []).filter((n) => !unmatched.includes(n) && !result.skipped.some((d) => d.code === 'excluded' && (d.node === n || d.opType === n)));
  if (idle.length) {
    result.warnings.push({ code: 'exclude-no-effect', severity: 'warning', reason: `exclude: ${idle.map((n) => `'${n}'`).join(', ')} ${idle.length === 1 ? 'names no node' : 'name no nodes'} that mode ${options.mode} quantizes (such ops run inside or between quantized ones), so nothing changed; exclude the op that feeds ${idle.length === 1 ? 'it' : 'them'} instead` });
  }
  if (!result.noop) {
    const errors = errorsOf(checkModel(model));
    if (errors.length) throw new GraphCheckError(`quantization produced an invalid graph: ${errors.slice(0, 3).map(formatDiagnostic).join('; ')}`, errors);
    recordProvenance(model, options);
  }
  return { ...result, model, mode: options.mode, timingsMs: timings };
}

/** What each mode returns; quantize() adds the model, the mode and the timings. */
export type ModeOutcome = Omit<QuantizeResult, 'model' | 'mode' | 'timingsMs'>;
export type Timer = <T>(label: string, fn: () => T) => T;

async function quantizeWeights(model: Model, options: QuantizeOptions, time: Timer): Promise<ModeOutcome> {
  const warnings: Diagnostic[] = [];
  const notes: string[] = [];
  const perTensor = options.perTensor ?? false;
  time('prepare', () => runPasses(model, [topoSortPass, foldConstantCastsPass, constantsToInitializersPass], { check: options.debug ?? false }));
  // Per-axis DequantizeLinear needs opset 13; DynamicQuantizeLinear needs 11.
  const needed = options.mode === 'dynamic' ? 11 : perTensor ? 10 : 13;
  const settings = { dtype: options.symmetric === false ? DataType.UINT8 : DataType.INT8, symmetric: options.symmetric ?? true, perTensor, reduceRange: options.reduceRange ?? false } as const;
  time('opset', () => raiseOpset(model, needed, options, settings, warnings));
  time('infer-types', () => inferTypes(model));
  const store = new WeightStore(model, { ...settings, perTensor: settings.perTensor || (model.opset() ?? 0) < 13 });

  let outcome: RuleOutcome;
  if (options.mode === 'weights-int8') {
    const weightOnly = weightOnlyRule();
    if (options.weightMethod === 'gptq') {
      const readers = nodesToRewrite(model, weightOnly, { store }, { exclude: options.exclude ?? [] }).map((node) => ({ node, weightIndex: constantWeight(node)!.inputIndex }));
      const rounding = await time('gptq', () => roundWeightsWithGptq(model, readers, store, options.weightCalibration!, options.gptq));
      warnings.push(...rounding.warnings);
      notes.push(...gptqNotes(rounding));
    }
    const rules: Rule<{ model: Model; store: WeightStore }>[] = [weightOnly, ...(options.gather ? [gatherQuantizedRule] : [])];
    // The weights the rewrite will replace, kept to tell bias correction what each one was.
    const weights = options.biasCorrection ? nodesToRewrite(model, weightOnly, { store }, { exclude: options.exclude ?? [] }).map((node) => ({ node, index: constantWeight(node)!.inputIndex, value: node.input(constantWeight(node)!.inputIndex)! })) : [];
    outcome = time('rewrite', () => applyRules(model, rules, { model, store }, { exclude: options.exclude ?? [] }));
    if (options.biasCorrection) {
      const layers = weights.flatMap(({ node, index, value }) => {
        const tensor = value.constTensor();
        if (!tensor || node.input(index)?.producer()?.opType !== 'DequantizeLinear') return [];
        return [{ node, weight: tensor, quantized: store.quantize(value, tensor, outputChannelAxis(node, tensor.dims.length)).weight }];
      });
      const corrected = await time('bias-correction', () => correctFloatBiases(model, layers, options.weightCalibration!));
      notes.push(biasCorrectionNote(corrected, 'weights-int8'));
    }
  } else {
    // Embedding tables are weights too: int8, dequantized after the lookup.
    const rules: Rule<{ model: Model; store: WeightStore }>[] = [dynamicMatMulRule, keepConvFloatRule, ...(options.gather === false ? [] : [gatherQuantizedRule])];
    outcome = time('rewrite', () => applyRules(model, rules, { model, store }, { exclude: options.exclude ?? [] }));
    if (outcome.skipped.some((d) => d.code === 'conv-kept-float')) {
      notes.push(
        'Convolutions stay float in dynamic mode: measured in bench/dynamic-conv.mjs, ConvInteger and weight-only int8 Conv both run slower than float Conv on onnxruntime\'s CPU build. For CNNs, static int8 (`--mode int8 --calib …`) is the fast path.',
      );
    }
  }
  store.removeReplaced();
  const onOneGrid = oneGridNote(store);
  if (onOneGrid) notes.push(onOneGrid);
  const quantized = Object.values(outcome.rewritten).reduce((a, b) => a + b, 0);
  return {
    quantized,
    skipped: outcome.skipped,
    warnings,
    notes,
    noop: quantized === 0,
    weightBytes: { before: store.bytesBefore, after: store.bytesAfter },
  };
}

function quantizeFp16(model: Model, options: QuantizeOptions): ModeOutcome {
  runPasses(model, [topoSortPass], { check: options.debug ?? false });
  const before = floatPayloadBytes(model);
  const r = convertToFloat16(model, { keepIoTypes: options.keepIoTypes ?? true, block: [...(options.fp16Block ?? []), ...(options.exclude ?? [])] });
  const noopReason = r.alreadyFloat16 ? 'the model already computes in float16 (only Casts at float32 inputs and outputs, or nodes kept float32 on purpose, are left)' : undefined;
  return { quantized: r.converted, skipped: r.keptFloat, warnings: r.warnings, notes: [], noop: r.converted === 0, ...(noopReason ? { noopReason } : {}), weightBytes: { before, after: floatPayloadBytes(model) } };
}

/** Raise the default-domain opset when the quantized ops need it; fall back to per-tensor when conversion is refused. */
function raiseOpset(model: Model, needed: number, options: QuantizeOptions, settings: { perTensor: boolean }, warnings: Diagnostic[]): void {
  const current = model.opset() ?? 0;
  if (current >= needed) return;
  try {
    convertOpset(model, needed);
  } catch (error) {
    if (!(error instanceof PassError)) throw error;
    if (options.mode === 'weights-int8' && !settings.perTensor && current >= 10) {
      warnings.push({ code: 'per-tensor-fallback', severity: 'warning', reason: `the model's opset ${current} could not be raised to 13 for per-channel scales (${error.message}); weights use one scale per tensor instead` });
      return;
    }
    throw new LowbitError(`cannot quantize: the model's opset ${current} must be raised to ${needed} and ${error.message}`, { code: 'opset-unsupported', cause: error });
  }
}

const QUANTIZED_FORMS: Record<string, string> = { 'weights-int8': 'weight', dynamic: 'dynamic', int8: 'static', int4: '4-bit', fp16: 'fp16' };

/** Never quantize twice: a model with Q/DQ, integer or 4-bit ops is refused, naming what is there. */
function refuseQuantizedInput(model: Model, mode: QuantizeMode): void {
  const found = summarizeModel(model, 0).quantizedOps;
  // fp16 composes with quantized weights (int4 then fp16 is the q4f16 recipe; a weight's
  // DequantizeLinear stays), but not with quantized activations: their Q/DQ pairs and integer ops
  // stay float32, so the model only grows.
  const entries = Object.entries(found).filter(([op]) => mode !== 'fp16' || QUANTIZED_ACTIVATION_OPS.has(op.replace(/^.*::/, '')));
  const list = entries.map(([op, n]) => `${op} ×${n}`);
  if (list.length) {
    throw new LowbitError(
      `the model is already quantized (${list.join(', ')}); lowbit does not quantize twice. For ${QUANTIZED_FORMS[mode]} quantization, turn it back to float first: lowbit convert MODEL -o MODEL-fp32.onnx --to fp32 (from the library, convertToFloat32(model))`,
      { code: 'already-quantized' },
    );
  }
}

/** Record who made the model and how, in metadata_props, so a model says where it came from. */
function recordProvenance(model: Model, options: QuantizeOptions): void {
  const settings = Object.fromEntries(
    Object.entries(options)
      .filter(([k, v]) => v !== undefined && typeof v !== 'function' && k !== 'debug' && k !== 'int4Calibration' && k !== 'weightCalibration')
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  model.setMetadata(PROVENANCE_KEYS.version, VERSION);
  model.setMetadata(PROVENANCE_KEYS.mode, options.mode);
  model.setMetadata(PROVENANCE_KEYS.options, JSON.stringify(settings));
}

export type { Pass };

/** Bytes of all float tensors (float32, float16, …): what fp16 halves. */
function floatPayloadBytes(model: Model): number {
  let total = 0;
  for (const { tensor } of allTensors(model)) if (isFloatType(tensor.dtype)) total += tensor.byteLength;
  return total;
}
