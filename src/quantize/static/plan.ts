import type { Diagnostic } from '../../diagnostics.js';
import { DataType, dtypeName } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import type { Value } from '../../ir/value.js';
import { isTensorType } from '../../ir/types.js';
import { weightSkipReason } from '../../rules/weight-only.js';
import { ABSORBABLE, QDQ_OPS, type OpQuantSpec } from './op-table.js';
import { TensorGroups } from './groups.js';

/**
 * Which nodes run in int8 and which activation tensors get a QuantizeLinear/DequantizeLinear pair.
 * Tensor-centric, like onnxruntime's own QDQ quantizer: each quantized tensor gets one Q/DQ pair
 * that every reader shares. Decided before calibration, so only the tensors that need a range of
 * their own (the group "sources") are measured.
 */
export interface QdqPlan {
  /** Nodes that will run quantized, with their op spec. */
  nodes: Map<Node, OpQuantSpec>;
  /** Relu/Clip nodes whose clipping the quantized range performs (onnxruntime then removes them). */
  absorbed: Set<Node>;
  groups: TensorGroups;
  skipped: Diagnostic[];
  /** Values that must stay exact because a comparison reads them (see comparedValues). */
  compared: Set<Value>;
}

export interface PlanOptions {
  exclude: ReadonlySet<string>;
  /** Nodes that must read float inputs (see QuantizeOptions.isolate). */
  isolate: ReadonlySet<string>;
}

/** Ops that read only a tensor's shape, never its values: nothing degrades when they see a DQ output. */
const READS_NO_VALUES = new Set(['Shape', 'Size']);

export function planQdq(model: Model, options: PlanOptions): QdqPlan {
  const plan: QdqPlan = { nodes: new Map(), absorbed: new Set(), groups: new TensorGroups(), skipped: [], compared: new Set() };
  for (const graph of model.allGraphs()) planGraph(graph, plan, options);
  return plan;
}

function planGraph(graph: Graph, plan: QdqPlan, options: PlanOptions): void {
  const groups = plan.groups;
  for (const v of comparedValues(graph)) plan.compared.add(v);
  for (const node of graph.nodes) {
    if (plan.absorbed.has(node)) continue;
    const spec = node.domain === '' ? QDQ_OPS[node.opType] : undefined;
    const where = { node: node.name || node.outputs[0]?.name || '', opType: node.opType };
    if (!spec) {
      // An op with no int8 kernel that reads quantized tensors runs in float between DQ and Q: say so.
      if (node.inputs.some((v) => v && groups.has(v)) && !ABSORBABLE.has(node.opType) && !READS_NO_VALUES.has(node.opType)) {
        plan.skipped.push({ code: 'no-int8-kernel', severity: 'info', ...where, reason: `onnxruntime has no int8 kernel for ${node.domain ? `${node.domain}.` : ''}${node.opType}; it runs in float` });
      }
      continue;
    }
    if (options.isolate.has(node.name)) {
      plan.skipped.push({ code: 'isolated', severity: 'warning', ...where, reason: 'kept in float with float inputs: onnxruntime fails to load the model when it fuses this node' });
      continue;
    }
    if (options.exclude.has(node.name) || options.exclude.has(node.opType)) {
      plan.skipped.push({ code: 'excluded', severity: 'info', ...where, reason: `excluded by --exclude ${options.exclude.has(node.name) ? node.name : node.opType}` });
      continue;
    }
    const activations = spec.kind === 'concat' ? node.inputs.map((_, i) => i) : spec.activations;
    const compared = activations.map((i) => node.input(i)).find((v) => v && plan.compared.has(v)) ?? (spec.kind !== 'compute' ? node.outputs.find((v) => v && plan.compared.has(v)) : undefined);
    if (compared) {
      plan.skipped.push({ code: 'compared', severity: 'info', ...where, reason: `'${compared.name}' is compared with values derived from it (an Equal or Less of the same data): on the int8 grid near-equal values tie, so it stays float` });
      continue;
    }
    const notFloat = activations.map((i) => node.input(i)).find((v) => v && isTensorType(v.type) && v.type.elemType !== DataType.FLOAT);
    if (notFloat) {
      // Integer data (shape arithmetic) was never a candidate; only a weighted op is worth a word.
      const t = notFloat.type as { elemType: DataType };
      if (spec.kind === 'compute') plan.skipped.push({ code: 'not-float', severity: 'info', ...where, reason: `input '${notFloat.name}' is ${dtypeName(t.elemType)}, not float32` });
      continue;
    }
    if (spec.kind === 'passthrough') {
      // Worth it only when the data already arrives quantized: then onnxruntime runs it on uint8.
      const data = node.input(0);
      if (!data || !groups.has(data)) continue;
      if (node.opType === 'Resize' && node.attrString('mode', 'nearest') === 'cubic') {
        markOutputs(node, plan); // cubic overshoots the input's range: give it its own
      } else {
        for (const out of node.outputs) if (out) groups.join(out, data, false);
      }
      plan.nodes.set(node, spec);
      continue;
    }
    if (spec.kind === 'binary' || spec.kind === 'where') {
      // Worth it only between two quantized activations (a residual Add, a gating Mul): with a
      // constant operand (a scale, a +3 inside hardswish) the op is cheaper and more exact in float
      // between the DequantizeLinear and the next QuantizeLinear than requantized on its own.
      const operands = spec.activations.map((i) => node.input(i));
      if (!operands.every((v) => v && !v.constTensor() && groups.has(v))) {
        const reason = binarySkipReason(node, operands, groups);
        if (reason) plan.skipped.push({ code: reason.code, severity: 'info', ...where, reason: reason.reason });
        continue;
      }
    }
    if (spec.kind === 'compute') {
      const reason = computeSkipReason(node);
      if (reason) {
        plan.skipped.push({ ...reason, severity: 'info', ...where });
        continue;
      }
    }
    for (const i of activations) {
      const v = node.input(i);
      if (v && !v.constTensor()) groups.add(v, true);
    }
    if (spec.kind === 'concat') {
      const out = node.output();
      for (const i of activations) {
        const v = node.input(i);
        if (v && !v.constTensor()) groups.join(out, v, false);
      }
      plan.nodes.set(node, spec);
      continue;
    }
    markOutputs(node, plan);
    plan.nodes.set(node, spec);
  }
}

/**
 * Why an Add, Mul or Where next to quantized data stays float, or undefined when none of its
 * operands is quantized (the op sits in a float region, with nothing to say).
 */
function binarySkipReason(node: Node, operands: (Value | null | undefined)[], groups: TensorGroups): { code: string; reason: string } | undefined {
  if (!operands.some((v) => v && groups.has(v))) return undefined;
  const constant = operands.find((v) => v?.constTensor());
  if (constant) return { code: 'constant-operand', reason: `its operand '${constant.name}' is a constant: in float between the DequantizeLinear and the next QuantizeLinear it is exact and cheaper than an int8 op with a requantized output` };
  const float = operands.find((v) => v && !groups.has(v));
  const producer = float?.producer();
  const made = producer ? ` (made by ${producer.opType} '${producer.name}', which runs in float)` : '';
  return { code: 'float-operand', reason: `its operand '${float?.name ?? ''}' stays float${made}; an int8 ${node.opType} needs every operand quantized` };
}

/**
 * A quantized node's output gets its own range — unless its only reader is a Relu or Clip(≥0):
 * then that reader's output is quantized instead, and its zero point makes the clipping exact.
 */
function markOutputs(node: Node, plan: QdqPlan): void {
  for (const out of node.outputs) {
    if (!out || plan.compared.has(out)) continue;
    const uses = out.uses();
    const reader = uses.length === 1 ? uses[0]!.node : undefined;
    if (reader && !out.isGraphOutput() && reader.graph === node.graph && absorbable(reader) && !plan.compared.has(reader.output())) {
      plan.absorbed.add(reader);
      plan.groups.add(reader.output(), true);
    } else {
      plan.groups.add(out, true);
    }
  }
}

function absorbable(node: Node): boolean {
  if (node.domain !== '' || !ABSORBABLE.has(node.opType)) return false;
  if (node.opType === 'Relu') return true;
  // Clip must not go below 0, or the zero point cannot sit at the bottom of the range.
  const min = node.input(1)?.constTensor();
  const minAttr = node.attrFloat('min');
  if (min) return min.size === 1;
  return minAttr === undefined || minAttr >= 0;
}

function computeSkipReason(node: Node): { code: string; reason: string } | undefined {
  if (node.opType === 'MatMul') {
    const b = node.input(1);
    // MatMul between two activations (attention) quantizes both inputs; only a weight needs checks.
    if (b && !b.constTensor()) return undefined;
  }
  const reason = weightSkipReason(node);
  if (reason) return reason;
  if (node.opType === 'Gemm') {
    if (node.attrInt('transA', 0) !== 0) return { code: 'gemm-transA', reason: 'Gemm with transA=1 has no int8 kernel (QGemm); it stays float' };
    const c = node.input(2);
    if (c && (!c.constTensor() || c.constTensor()!.dims.length !== 1)) return { code: 'gemm-bias', reason: 'Gemm whose C is not a constant 1-D bias stays float' };
  }
  return undefined;
}


/** Ops whose result jumps when an operand moves by one quantization step. */
export const COMPARISONS = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual']);

/**
 * Values a comparison between two activations depends on, back to the weighted ops that make them
 * (whose inputs can still be quantized). Peak-finding heads compare a map with its own max-pooled
 * copy (mlsd: `heat == MaxPool(heat)`): on the int8 grid neighbouring values tie and every plateau
 * becomes a peak, so the map, and what it is computed from after the last Conv, must stay float.
 */
export function comparedValues(graph: Graph): Set<Value> {
  const out = new Set<Value>();
  const stack: Value[] = [];
  for (const node of graph.nodes) {
    if (node.domain !== '' || !COMPARISONS.has(node.opType)) continue;
    const operands = node.inputs.filter((v): v is Value => Boolean(v));
    if (operands.length === 2 && operands.every((v) => !v.constTensor())) stack.push(...operands);
  }
  while (stack.length) {
    const v = stack.pop()!;
    if (out.has(v) || v.constTensor() || (isTensorType(v.type) && v.type.elemType !== DataType.FLOAT)) continue;
    out.add(v);
    const producer = v.producer();
    if (!producer || producer.graph !== graph || (producer.domain === '' && QDQ_OPS[producer.opType]?.kind === 'compute')) continue;
    for (const input of producer.inputs) if (input) stack.push(input);
  }
  return out;
}
