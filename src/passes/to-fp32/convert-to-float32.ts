import type { Diagnostic } from '../../diagnostics.js';
import { formatDiagnostic } from '../../diagnostics.js';
import { GraphCheckError } from '../../errors.js';
import { checkModel, errorsOf } from '../../ir/checker.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { inferTypes } from '../infer-types/infer-types.js';
import type { Pass } from '../pass.js';
import { topoSortPass } from '../topo-sort.js';
import { removeIdentityCasts } from '../fp16/identity-casts.js';
import { nodeLabel } from '../fp16/values.js';
import { dequantizeGatherTable, foldConstantDequantize } from './dequantize-constants.js';
import { FloatWeights } from './float-weights.js';
import { undoGatherBlockQuantized } from './gather-block-quantized.js';
import { halfToFloat } from './half-to-float.js';
import { undoMatMulNBits } from './matmul-nbits.js';
import { removeQdqPair } from './qdq-pairs.js';
import { undoIntegerForm } from './undo-integer-forms.js';
import { undoRowScaledGather } from './row-scaled-gather.js';
import { QUANTIZED_OPS } from '../../inspect/weights.js';
import { QUANTIZATION_KEYS } from '../../quantize/provenance-keys.js';

export interface Float32Result {
  model: Model;
  /** Quantized forms undone plus float16 tensors turned into float32. */
  converted: number;
  /** What was undone (info) and what could not be (warnings, code 'fp32-not-undone'). */
  notes: Diagnostic[];
}

const MS_DOMAIN = 'com.microsoft';
/** The com.microsoft ops lowbit's int4 mode writes, and the float op each becomes. */
const CONTRIB_FLOAT_OPS = new Map([['MatMulNBits', 'MatMul'], ['GatherBlockQuantized', 'Gather']]);

/**
 * Turn a float16 or quantized model back into a float32 model, in place (`lowbit convert --to fp32`):
 * the dynamic quantizer's MatMulInteger and ConvInteger chains become MatMul and Conv with
 * dequantized weights, com.microsoft MatMulNBits and GatherBlockQuantized (int4's outputs) become
 * MatMul and Gather on dequantized weights, DequantizeLinear of constants (blocked int4 included)
 * and of quantized Gather tables is folded into float32 initializers, QuantizeLinear →
 * DequantizeLinear pairs on activations are dropped, and every float16 tensor, type and Cast
 * becomes float32 (Casts left without a purpose are removed).
 * Quantized ops that match none of these forms stay, each named in a warning.
 */
export function convertToFloat32(model: Model): Float32Result {
  topoSortPass.run(model);
  const sourceConflicts = new Set(inferTypes(model, { refresh: true }).conflicts.map((d) => d.value ?? ''));
  const notes: Diagnostic[] = [];
  const weights = new FloatWeights(model);
  const undone = undoQuantizedForms(model, weights, notes);
  const halfTensors = halfToFloat(model, notes);
  const casts = removeIdentityCasts(model);
  if (casts > 0) notes.push({ code: 'fp32-casts-removed', severity: 'info', reason: `${casts} Cast(s) that no longer change the type were removed` });
  finish(model, sourceConflicts);
  const remaining = remainingQuantizedOps(model);
  for (const node of remaining) {
    notes.push({ code: 'fp32-not-undone', severity: 'warning', ...nodeLabel(node), reason: `${node.opType} is not part of a form lowbit can turn back into float; it stays` });
  }
  // What lowbit recorded of how the model was quantized no longer describes it once that is undone
  // (and `eval` would print a re-quantize command from it).
  if (undone + halfTensors > 0 && remaining.length === 0) {
    model.metadataProps = model.metadataProps.filter(([key]) => !QUANTIZATION_KEYS.has(key));
  }
  return { model, converted: undone + halfTensors, notes };
}

/** convertToFloat32 for the pass manager (`convert --to fp32`); its notes become diagnostics. */
export const float32Pass: Pass = {
  name: 'to-fp32',
  run(model) {
    const result = convertToFloat32(model);
    return { model, modified: result.converted > 0 || result.notes.length > 0, diagnostics: result.notes };
  },
};

/** Undo each quantized form once; returns how many were undone and notes them by kind. */
function undoQuantizedForms(model: Model, weights: FloatWeights, notes: Diagnostic[]): number {
  const counts = new Map<string, number>();
  const count = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1);
  for (const graph of model.allGraphs()) {
    for (const node of graph.nodes) {
      const contribFloatOp = node.domain === MS_DOMAIN ? CONTRIB_FLOAT_OPS.get(node.opType) : undefined;
      if (contribFloatOp) {
        const skip = node.opType === 'MatMulNBits' ? undoMatMulNBits(model, node, weights) : undoGatherBlockQuantized(node, weights);
        if (skip) notes.push({ ...skip, severity: 'warning', ...nodeLabel(node) });
        else count(`${node.opType} → ${contribFloatOp}`);
        continue;
      }
      if (node.domain !== '') continue;
      if (node.opType === 'MatMulInteger' || node.opType === 'ConvInteger') {
        const skip = undoIntegerForm(model, node, weights);
        if (skip) notes.push({ ...skip, severity: 'warning', ...nodeLabel(node) });
        else count(`${node.opType} → ${node.opType === 'ConvInteger' ? 'Conv' : 'MatMul'}`);
      } else if (node.opType === 'Mul') {
        if (undoRowScaledGather(node, weights)) count('per-row int8 Gather table dequantized');
      } else if (node.opType === 'DequantizeLinear') {
        if (foldConstantDequantize(node, weights)) count('DequantizeLinear of a constant folded');
        else if (dequantizeGatherTable(node, weights)) count('quantized Gather table dequantized');
        else if (removeQdqPair(model, node)) count('QuantizeLinear → DequantizeLinear pair removed');
      }
    }
  }
  for (const [what, n] of counts) notes.push({ code: 'fp32-undone', severity: 'info', reason: `${n}× ${what}` });
  return [...counts.values()].reduce((a, b) => a + b, 0);
}

function remainingQuantizedOps(model: Model): Node[] {
  return [...model.graph.allNodes()].filter((n) => QUANTIZED_OPS.has(n.opType));
}

/** Retype the model and make sure it is well formed; the source's own type conflicts are not ours. */
function finish(model: Model, sourceConflicts: ReadonlySet<string>): void {
  topoSortPass.run(model);
  const { conflicts } = inferTypes(model, { refresh: true });
  const errors = [...conflicts.filter((d) => !sourceConflicts.has(d.value ?? '')), ...errorsOf(checkModel(model))];
  if (errors.length > 0) {
    throw new GraphCheckError(`fp32 conversion left an inconsistent model: ${errors.slice(0, 3).map(formatDiagnostic).join('; ')}`, errors, { code: 'fp32-invalid' });
  }
}
