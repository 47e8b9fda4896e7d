import type { Diagnostic } from '../../diagnostics.js';
import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { LowbitError } from '../../errors.js';
import { runPasses } from '../../passes/pass.js';
import { topoSortPass } from '../../passes/topo-sort.js';
import { foldConstantCastsPass } from '../../passes/fold-constant-casts.js';
import { constantsToInitializersPass } from '../../passes/constants-to-initializers.js';
import { removeIdentityPass } from '../../passes/remove-identity.js';
import { foldBatchNormPass } from '../../passes/fold-batchnorm.js';
import { foldConvAffinePass } from '../../passes/fold-conv-affine.js';
import { countHardswish, foldHardswishPass, HARDSWISH_OPSET } from '../../passes/fold-hardswish.js';
import { convertOpset } from '../../passes/convert-opset/convert-opset.js';
import { inferTypes } from '../../passes/infer-types/infer-types.js';
import type { CalibrationOutcome, QuantizeOptions } from '../options.js';
import type { ModeOutcome, Timer } from '../quantize.js';
import { WeightStore } from '../weight-store.js';
import { applyQdq } from './apply.js';
import { planQdq } from './plan.js';

/** 16-bit QuantizeLinear/DequantizeLinear are ONNX opset 21. */
const SIXTEEN_BIT_OPSET = 21;

const ACTIVATION_TYPES = { uint8: DataType.UINT8, int8: DataType.INT8, uint16: DataType.UINT16, int16: DataType.INT16 } as const;

/**
 * Static int8: weights int8 per channel, activations uint8 (or int8) with ranges measured on
 * calibration data, in the QDQ form onnxruntime executes with int8 kernels.
 */
export async function quantizeStatic(model: Model, options: QuantizeOptions, time: Timer): Promise<ModeOutcome> {
  const calibrate = options.calibrate;
  if (!calibrate) throw new LowbitError('static int8 needs calibration data: give --calib SOURCE (a folder of .npy/.npz files or images, or random)', { code: 'no-calibration' });
  const warnings: Diagnostic[] = [];
  time('prepare', () =>
    runPasses(model, [topoSortPass, foldConstantCastsPass, constantsToInitializersPass, removeIdentityPass, foldBatchNormPass, foldConvAffinePass], { check: options.debug ?? false }),
  );
  // A decomposed hardswish is four float ops between DQ and Q in every layer; HardSwish (opset 14) is one.
  const activation = ACTIVATION_TYPES[options.activations ?? 'uint8'];
  const sixteenBit = activation === DataType.UINT16 || activation === DataType.INT16;
  const opsetFloor = sixteenBit ? SIXTEEN_BIT_OPSET : countHardswish(model) > 0 ? HARDSWISH_OPSET : 13;
  if ((model.opset() ?? 0) < opsetFloor) time('opset', () => convertOpset(model, opsetFloor));
  time('fold-hardswish', () => runPasses(model, [foldHardswishPass], { check: options.debug ?? false }));
  time('infer-types', () => inferTypes(model));
  const plan = time('plan', () => planQdq(model, { exclude: new Set(options.exclude ?? []), isolate: new Set(options.isolate ?? []) }));

  // Only group sources need a range: tensors that share a scale with another take it from there.
  const sources = plan.groups.sourceTensors().map((v) => v.name);
  const calibration: CalibrationOutcome = sources.length ? await calibrate(model, sources) : { ranges: new Map() };
  warnings.push(...(calibration.warnings ?? []));
  const measured = calibration.ranges;

  const store = new WeightStore(model, { dtype: DataType.INT8, symmetric: true, perTensor: options.perTensor ?? false, reduceRange: options.reduceRange ?? false });
  // Excluded nodes read the float tensors themselves, not a DequantizeLinear: onnxruntime fuses
  // DQ → Conv → Q into QLinearConv even when the Conv's weight is float (it quantizes the weight
  // itself, to 8 bits that saturate without VNNI), and DQ → Add → Q into QLinearAdd, so a node
  // between DQ and Q is not kept in float at all (mlsd: excluding its worst Conv cost 0.13 cosine).
  const excluded = new Set(options.exclude ?? []);
  const floatReaders = new Set(options.isolate ?? []);
  for (const graph of model.allGraphs()) for (const n of graph.nodes) if (n.name && (excluded.has(n.name) || excluded.has(n.opType))) floatReaders.add(n.name);
  const applied = time('rewrite', () => applyQdq(model, plan, measured, activation, store, floatReaders));
  store.removeReplaced();
  return {
    quantized: applied.quantizedNodes,
    skipped: [...plan.skipped, ...applied.skipped],
    warnings,
    notes: sixteenBit
      ? [`${options.activations} activations (opset ${SIXTEEN_BIT_OPSET} Q/DQ) are for fidelity, not speed: onnxruntime's CPU build has no 16-bit kernels for these ops and runs them in float between DequantizeLinear and QuantizeLinear, so expect float speed or slower`]
      : [],
    noop: applied.quantizedNodes === 0,
    weightBytes: { before: store.bytesBefore, after: store.bytesAfter },
  };
}
