import type { Diagnostic } from '../../diagnostics.js';
import { DataType } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { Node } from '../../ir/node.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { toFloat32 } from '../../ir/tensor/values.js';
import { Value } from '../../ir/value.js';
import { outputChannelAxis } from '../../inspect/weights.js';
import { quantRange } from '../../quant/qtypes.js';
import { computeScaleZeroPoint } from '../../quant/scale-zero-point.js';
import { quantizeWeight } from '../../quant/weights.js';
import type { WeightStore } from '../weight-store.js';
import type { Range } from './groups.js';
import type { QdqPlan } from './plan.js';
import { quantizeBias } from './bias.js';

/** The activations' integer type: 8-bit for onnxruntime's int8 kernels, 16-bit for fidelity. */
export type ActivationType = DataType.UINT8 | DataType.INT8 | DataType.UINT16 | DataType.INT16;

export interface ActivationParams {
  scale: Value;
  zeroPoint: Value;
  scaleValue: number;
}

export interface ApplyResult {
  quantizedNodes: number;
  skipped: Diagnostic[];
}

/** Insert the Q/DQ pairs, weight DequantizeLinears and int32 biases that the plan calls for. */
export function applyQdq(
  model: Model,
  plan: QdqPlan,
  measured: ReadonlyMap<string, Range>,
  activation: ActivationType,
  store: WeightStore,
  isolate: ReadonlySet<string> = new Set(),
  wide: ReadonlySet<string> = new Set(),
): ApplyResult {
  const skipped: Diagnostic[] = [];
  const symmetric = activation === DataType.INT8 || activation === DataType.INT16;
  // A tensor named in `wide` takes its whole scale group (the tensors that must share its scale) to 16 bits.
  const wideRoots = new Set(plan.groups.members().filter((v) => wide.has(v.name)).map((v) => plan.groups.find(v)));
  const params = new Map<Value, ActivationParams>();
  for (const [root, r] of plan.groups.groupRanges(measured)) {
    const type = wideRoots.has(root) ? widened(activation) : activation;
    const { scale, zeroPoint } = computeScaleZeroPoint(r.min, r.max, quantRange(type, { symmetric }), symmetric);
    const name = model.freshName(`${root.name}_quant`);
    params.set(root, {
      scale: model.graph.addInitializer(`${name}_scale`, DenseTensor.fromTyped(DataType.FLOAT, [], new Float32Array([scale]))),
      zeroPoint: model.graph.addInitializer(`${name}_zero_point`, zeroPointTensor(type, zeroPoint)),
      scaleValue: scale,
    });
  }
  const paramsOf = (v: Value) => (plan.groups.has(v) ? params.get(plan.groups.find(v)) : undefined);

  let quantizedNodes = 0;
  for (const [node, spec] of plan.nodes) {
    const where = { node: node.name || node.outputs[0]?.name || '', opType: node.opType };
    const inputs = spec.kind === 'concat' ? node.inputs.map((_, i) => i) : spec.activations;
    const missing = inputs.map((i) => node.input(i)).find((v) => v && !v.constTensor() && !paramsOf(v));
    if (missing) {
      skipped.push({ code: 'no-range', severity: 'warning', ...where, reason: `no calibrated range for '${missing.name}'; the node stays float` });
      continue;
    }
    if (spec.weight !== undefined) quantizeWeightInput(node, spec.weight, spec.bias, paramsOf(node.input(0)!)!, store, model);
    for (const i of inputs) {
      const v = node.input(i);
      if (v?.constTensor()) node.replaceInput(i, constantQdq(model, node.graph!, v, activation));
    }
    quantizedNodes++;
  }
  // One Q/DQ pair per quantized tensor, shared by all of its readers.
  for (const tensor of plan.groups.members()) {
    const p = paramsOf(tensor);
    if (p) insertQdq(model, tensor, p, isolate);
  }
  return { quantizedNodes, skipped };
}

/** The 16-bit type of the same signedness. */
function widened(activation: ActivationType): ActivationType {
  return activation === DataType.INT8 || activation === DataType.INT16 ? DataType.INT16 : DataType.UINT16;
}

function zeroPointTensor(dtype: ActivationType, zp: number): DenseTensor {
  switch (dtype) {
    case DataType.UINT8:
      return DenseTensor.fromTyped(dtype, [], new Uint8Array([zp]));
    case DataType.INT8:
      return DenseTensor.fromTyped(dtype, [], new Int8Array([zp]));
    case DataType.UINT16:
      return DenseTensor.fromTyped(dtype, [], new Uint16Array([zp]));
    case DataType.INT16:
      return DenseTensor.fromTyped(dtype, [], new Int16Array([zp]));
  }
}

/** QuantizeLinear → DequantizeLinear after the tensor; its readers (graph outputs included) see the DQ output. */
function insertQdq(model: Model, tensor: Value, p: ActivationParams, isolate: ReadonlySet<string>): void {
  const graph = tensor.graph!;
  const base = tensor.name;
  const q = new Node({ opType: 'QuantizeLinear', name: model.freshName(`${base}_QuantizeLinear`), inputs: [tensor, p.scale, p.zeroPoint], outputs: [model.freshName(`${base}_quantized`)] });
  const dq = new Node({ opType: 'DequantizeLinear', name: model.freshName(`${base}_DequantizeLinear`), inputs: [q.output(), p.scale, p.zeroPoint], outputs: [model.freshName(`${base}_dequantized`)] });
  q.output().type = { kind: 'tensor', elemType: (p.zeroPoint.initializer!.dtype) };
  dq.output().type = tensor.type ? structuredClone(tensor.type) : { kind: 'tensor', elemType: DataType.FLOAT };
  const producer = tensor.producer();
  if (producer && producer.graph === graph) graph.insertAfter(producer, q);
  else graph.prependNode(q);
  graph.insertAfter(q, dq);
  for (const use of [...tensor.uses()]) if (use.node !== q && !isolate.has(use.node.name)) use.node.replaceInput(use.index, dq.output());
  if (tensor.isGraphOutput()) {
    // The model's interface keeps its output name: the DQ output takes it, the float tensor is renamed.
    const outputName = tensor.name;
    tensor.name = model.freshName(`${outputName}_float`);
    dq.output().name = outputName;
    graph.outputs = graph.outputs.map((v) => (v === tensor ? dq.output() : v));
  }
}

/** Weight per output channel in int8, and the bias in int32 with scale s_x · s_w. */
function quantizeWeightInput(node: Node, weightIndex: number, biasIndex: number | undefined, input: ActivationParams, store: WeightStore, model: Model): void {
  const weight = node.input(weightIndex)!;
  if (node.opType === 'MatMul' && !weight.constTensor()) return; // activation × activation: both Q/DQ'd as tensors
  const tensor = weight.constTensor()!;
  const axis = outputChannelAxis(node, tensor.dims.length);
  node.replaceInput(weightIndex, store.dequantize(weight, tensor, axis));
  store.replaced.add(weight);
  const bias = biasIndex === undefined ? undefined : node.input(biasIndex);
  const biasTensor = bias?.constTensor();
  if (!bias || !biasTensor || biasTensor.dtype !== DataType.FLOAT) return;
  const q = store.quantize(weight, tensor, axis);
  node.replaceInput(biasIndex!, quantizeBias(model, node.graph!, bias.name, biasTensor, input.scaleValue, q.weight.scales));
  store.replaced.add(bias);
}

/**
 * A constant operand of Add/Mul/Where/Concat, per tensor, from its own min and max: in the
 * activations' type, or its 8-bit twin under 16-bit activations (the constant's own range is
 * narrow, and the weight quantizer is 8-bit).
 */
function constantQdq(model: Model, graph: Graph, value: Value, activations: ActivationType): Value {
  const activation = activations === DataType.UINT16 ? DataType.UINT8 : activations === DataType.INT16 ? DataType.INT8 : activations;
  const data = toFloat32(value.constTensor()!);
  const q = quantizeWeight(data, [...value.constTensor()!.dims], { dtype: activation, symmetric: activation === DataType.INT8 });
  const base = model.freshName(`${value.name}_quantized`);
  const init = graph.addInitializer(base, DenseTensor.fromTyped(activation, [...value.constTensor()!.dims], q.values));
  const scale = graph.addInitializer(`${base}_scale`, DenseTensor.fromTyped(DataType.FLOAT, [], q.scales));
  const zp = graph.addInitializer(`${base}_zero_point`, zeroPointTensor(activation, q.zeroPoints[0]!));
  const dq = new Node({ opType: 'DequantizeLinear', name: model.freshName(`${value.name}_DequantizeLinear`), inputs: [init, scale, zp], outputs: [model.freshName(`${value.name}_dequantized`)] });
  dq.output().type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [...value.constTensor()!.dims] };
  graph.prependNode(dq);
  return dq.output();
}

