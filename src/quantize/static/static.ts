import type { Diagnostic } from '../../diagnostics.js';
import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { LowbitError, UsageError } from '../../errors.js';
import { runPasses } from '../../passes/pass.js';
import { topoSortPass } from '../../passes/topo-sort.js';
import { foldConstantCastsPass } from '../../passes/fold-constant-casts.js';
import { constantsToInitializersPass } from '../../passes/constants-to-initializers.js';
import { removeIdentityPass } from '../../passes/remove-identity.js';
import { foldBatchNormPass } from '../../passes/fold-batchnorm.js';
import { foldConvAffinePass } from '../../passes/fold-conv-affine.js';
import { foldConvInputAffinePass } from '../../passes/fold-conv-input-affine.js';
import { countHardswish, foldHardswishPass, HARDSWISH_OPSET } from '../../passes/fold-hardswish.js';
import { convertOpset } from '../../passes/convert-opset/convert-opset.js';
import { inferTypes } from '../../passes/infer-types/infer-types.js';
import type { CalibrationOutcome, QuantizeOptions } from '../options.js';
import type { ModeOutcome, Timer } from '../quantize.js';
import { WeightStore, oneGridNote } from '../weight-store.js';
import { applyQdq } from './apply.js';
import { planQdq } from './plan.js';
import { ABSORBABLE } from './op-table.js';
import { gptqNotes, roundWeightsWithGptq } from '../gptq-weights.js';
import { correctBiases, type QuantizedLayer } from './bias-correction.js';
import { biasCorrectionNote } from './bias-correction-note.js';
import { outputChannelAxis } from '../../inspect/weights.js';
import type { Value } from '../../ir/value.js';

/** 16-bit QuantizeLinear/DequantizeLinear are ONNX opset 21. */
const SIXTEEN_BIT_OPSET = 21;

const ACTIVATION_TYPES = { uint8: DataType.UINT8, int8: DataType.INT8, uint16: DataType.UINT16, int16: DataType.INT16 } as const;

/**
 * Static int8: weights int8 per channel, activations uint8 (or int8) with ranges measured on
 * calibration data, in the QDQ form onnxruntime executes with int8 kernels.
 */
export async function quantizeStatic(model: Model, options: QuantizeOptions, time: Timer): Promise<ModeOutcome> {
  const calibrate = options.calibrate;
  if (!calibrate) throw new UsageError('static int8 needs calibration data: give --calib SOURCE (a folder of .npy/.npz files or images, or random); from the library, options.calibrate, e.g. nodeCalibrator(openSource(SOURCE, model))', { code: 'no-calibration' });
  const warnings: Diagnostic[] = [];
  time('prepare', () =>
    runPasses(model, [topoSortPass, foldConstantCastsPass, constantsToInitializersPass, removeIdentityPass, foldBatchNormPass, foldConvAffinePass], { check: options.debug ?? false }),
  );
  // A decomposed hardswish is four float ops between DQ and Q in every layer; HardSwish (opset 14) is one.
  const activation = ACTIVATION_TYPES[options.activations ?? 'uint8'];
  const sixteenBit = activation === DataType.UINT16 || activation === DataType.INT16;
  const wideNames = options.wideActivations ?? [];
  if (wideNames.length > 0 && sixteenBit) throw new UsageError(`--wide-activations widens some tensors of 8-bit activations to 16 bits; with --activations ${options.activations} every tensor is 16-bit already`, { code: 'bad-option' });
  const opsetFloor = sixteenBit || wideNames.length > 0 ? SIXTEEN_BIT_OPSET : countHardswish(model) > 0 ? HARDSWISH_OPSET : 13;
  if ((model.opset() ?? 0) < opsetFloor) time('opset', () => convertOpset(model, opsetFloor));
  time('fold-hardswish', () => runPasses(model, [foldHardswishPass], { check: options.debug ?? false }));
  // After fold-hardswish, whose pattern can end in a Mul by 1/6 that this pass would otherwise take.
  time('fold-conv-input-affine', () => runPasses(model, [foldConvInputAffinePass], { check: options.debug ?? false }));
  time('infer-types', () => inferTypes(model));
  const plan = time('plan', () => planQdq(model, { exclude: new Set(options.exclude ?? []), isolate: new Set(options.isolate ?? []) }));
  const { wide, unknown } = resolveWide(model, wideNames, new Set(plan.groups.members().map((v) => v.name)));
  if (unknown.length > 0) {
    throw new UsageError(`--wide-activations: ${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length === 1 ? 'is not an activation tensor' : 'are not activation tensors'} that int8 quantizes in this model: name a tensor that gets a QuantizeLinear/DequantizeLinear pair in the int8 model, or the Conv output that a Relu or Clip reads (tensors between float ops cannot be widened)`, { code: 'bad-option' });
  }

  // Only group sources need a range: tensors that share a scale with another take it from there.
  const sources = plan.groups.sourceTensors().map((v) => v.name);
  const calibration: CalibrationOutcome = sources.length ? await time('calibrate', () => calibrate(model, sources)) : { ranges: new Map() };
  const measured = checkedRanges(calibration);
  warnings.push(...(calibration.warnings ?? []));

  const store = new WeightStore(model, { dtype: DataType.INT8, symmetric: true, perTensor: options.perTensor ?? false, reduceRange: options.reduceRange ?? false });
  // Excluded nodes read the float tensors themselves, not a DequantizeLinear: onnxruntime fuses
  // DQ → Conv → Q into QLinearConv even when the Conv's weight is float (it quantizes the weight
  // itself, to 8 bits that saturate without VNNI), and DQ → Add → Q into QLinearAdd, so a node
  // between DQ and Q is not kept in float at all (mlsd: excluding its worst Conv cost 0.13 cosine).
  const excluded = new Set(options.exclude ?? []);
  const floatReaders = new Set(options.isolate ?? []);
  for (const graph of model.allGraphs()) for (const n of graph.nodes) if (n.name && (excluded.has(n.name) || excluded.has(n.opType))) floatReaders.add(n.name);
  const notes: string[] = [];
  const readers = [...plan.nodes].filter(([node, spec]) => spec.weight !== undefined && !floatReaders.has(node.name)).map(([node, spec]) => ({ node, weightIndex: spec.weight! }));
  if (options.weightMethod === 'gptq') {
    const rounding = await time('gptq', () => roundWeightsWithGptq(model, readers, store, options.weightCalibration!, options.gptq));
    warnings.push(...rounding.warnings);
    notes.push(...gptqNotes(rounding));
  }
  const weights = readers.map((r) => ({ node: r.node, value: r.node.input(r.weightIndex) }));
  const applied = time('rewrite', () => applyQdq(model, plan, measured, activation, store, floatReaders, wide));
  if (options.biasCorrection === true) {
    // The rewritten layers: their weight input now reads a DequantizeLinear; the float weight is
    // still in the graph (removed below), and the store gives back the form that replaced it.
    const layers: QuantizedLayer[] = [];
    for (const { node, value } of weights) {
      const tensor = value?.constTensor();
      if (!value || !tensor || node.input(1) === value || node.input(1)?.producer()?.opType !== 'DequantizeLinear') continue;
      layers.push({ node, weight: tensor, quantized: store.quantize(value, tensor, outputChannelAxis(node, tensor.dims.length)).weight });
    }
    const outcome = await time('bias-correction', () => correctBiases(model, layers, options.weightCalibration!));
    notes.push(biasCorrectionNote(outcome, 'int8'));
  }
  store.removeReplaced();
  const onOneGrid = oneGridNote(store);
  if (onOneGrid) notes.push(onOneGrid);
  return {
    quantized: applied.quantizedNodes,
    skipped: [...plan.skipped, ...applied.skipped],
    warnings,
    notes: [
      ...notes,
      ...(sixteenBit
      ? [`${options.activations} activations (opset ${SIXTEEN_BIT_OPSET} Q/DQ) are for fidelity, not speed: onnxruntime's CPU build has no 16-bit kernels for these ops and runs them in float between DequantizeLinear and QuantizeLinear, so expect float speed or slower`]
      : wide.size > 0
        ? [`16-bit activations for ${wide.size} tensor(s) (${[...wide].join(', ')}; opset ${SIXTEEN_BIT_OPSET} Q/DQ): the ops that read or write them run in float in onnxruntime, the rest in int8`]
        : []),
    ],
    noop: applied.quantizedNodes === 0,
    weightBytes: { before: store.bytesBefore, after: store.bytesAfter },
  };
}

/**
 * The quantized tensors that `names` stand for: a planned tensor itself, or a Conv/MatMul output
 * that a Relu or Clip reads alone (the Relu's output is what carries the Q/DQ, its range absorbed),
 * as `eval --per-layer` lists either.
 */
function resolveWide(model: Model, names: readonly string[], planned: ReadonlySet<string>): { wide: Set<string>; unknown: string[] } {
  const wide = new Set<string>();
  const unknown: string[] = [];
  const byName = new Map<string, Value>();
  for (const graph of model.allGraphs()) for (const node of graph.nodes) for (const out of node.outputs) if (out) byName.set(out.name, out);
  for (const name of names) {
    if (planned.has(name)) {
      wide.add(name);
      continue;
    }
    const readers = byName.get(name)?.consumers() ?? [];
    const absorbed = readers.length === 1 && ABSORBABLE.has(readers[0]!.opType) ? readers[0]!.output().name : undefined;
    if (absorbed && planned.has(absorbed)) wide.add(absorbed);
    else unknown.push(name);
  }
  return { wide, unknown };
}

/**
 * The ranges a calibrate function returned, checked: a custom one (the library's callers may write
 * their own) that returns no Map, or a range that is not finite, fails here naming the tensor,
 * rather than deep inside the rewrite.
 */
function checkedRanges(calibration: CalibrationOutcome): Map<string, { min: number; max: number }> {
  const ranges = calibration?.ranges;
  if (!(ranges instanceof Map)) throw new LowbitError('the calibrate function must return { ranges: Map<tensor name, { min, max }> }', { code: 'bad-calibration' });
  for (const [tensor, range] of ranges) {
    if (!Number.isFinite(range?.min) || !Number.isFinite(range?.max) || range.min > range.max) {
      throw new LowbitError(`calibration gave tensor '${tensor}' the range [${range?.min}, ${range?.max}]; a range must be finite with min ≤ max`, { code: 'bad-calibration', tensor });
    }
  }
  return ranges;
}
