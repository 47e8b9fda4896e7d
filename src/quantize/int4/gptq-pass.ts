import type { Diagnostic } from '../../diagnostics.js';
import { planGroups } from '../../calib/groups.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { DataType } from '../../ir/dtype.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { float32ArrayToHalf } from '../../ir/tensor/float16.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import { toFloat32 } from '../../ir/tensor/values.js';
import type { Value } from '../../ir/value.js';
import { quantizeInt4Gptq } from '../../quant/gptq.js';
import { dequantizeInt4, type Int4Blocks } from '../../quant/int4-blocks.js';
import { int4SkipReason, scaleTypeOf } from '../../rules/matmul-nbits.js';
import { DEFAULT_MAX_HESSIAN_BYTES, collectHessians, type LayerCalibration } from '../hessians.js';
import { LowbitError } from '../../errors.js';
import { PROTOBUF_LIMIT, inlinePayloadBytes } from '../../serde/encode.js';

/** Room left under protobuf's limit for the graph itself and the Hessian outputs gptq adds. */
const GPTQ_MARGIN_BYTES = 64 << 20;
import type { Int4WeightStore } from './int4-store.js';

export interface GptqOutcome {
  /** Weights quantized with GPTQ. */
  weights: number;
  samples: number;
  /** Passes over the calibration data. */
  passes: number;
  /** Weight rows whose input was always zero on the calibration data (GPTQ zeroes them). */
  deadInputs: number;
  notes: string[];
  warnings: Diagnostic[];
}

/**
 * GPTQ for every MatMul weight of the main graph that the int4 rules will rewrite; the results go
 * into the store, where the rules find them. Layers go in stages of equal depth (the number of
 * quantizable MatMuls on the longest path to them: q/k/v of one block share a stage, the attention
 * output the next, …). Each stage's Hessians are measured with every earlier stage's weights
 * replaced by their dequantized 4-bit values, so a layer also compensates the error of the layers
 * before it (the "sequential" GPTQ of the reference code). The model keeps float MatMuls while
 * this runs, because onnxruntime's float GEMM is several times faster than MatMulNBits over many
 * tokens; the original weights are put back at the end. `sequential: false` measures every layer
 * on the float model in one pass instead (faster, less accurate). Within a stage, layers go in
 * groups whose float64 Hessians fit in `maxHessianBytes`, one pass over the data each, and a
 * group's Hessians are dropped once its weights are quantized.
 */
export async function quantizeWithGptq(model: Model, calibration: LayerCalibration, store: Int4WeightStore, exclude: ReadonlySet<string>): Promise<GptqOutcome> {
  // Each pass hands onnxruntime the whole model as one protobuf message, which cannot pass 2 GiB.
  const payload = inlinePayloadBytes(model);
  if (payload > PROTOBUF_LIMIT - GPTQ_MARGIN_BYTES) {
    throw new LowbitError(
      `gptq runs the model in onnxruntime from memory to measure each layer's inputs, and protobuf limits a model in memory to 2 GiB; this model's tensors hold ${(payload / 2 ** 30).toFixed(2)} GiB. Use --int4-method rtn or hqq, which stream the weights one at a time (no data needed)`,
      { code: 'gptq-too-large' },
    );
  }
  const sequential = store.settings.gptq.sequential;
  const readers = new Map<Value, Node[]>();
  for (const node of model.graph.nodes) {
    if (exclude.has(node.name) || exclude.has(node.opType) || int4SkipReason(node)) continue;
    const weight = node.input(1)!;
    readers.set(weight, [...(readers.get(weight) ?? []), node]);
  }
  const depth = sequential ? matMulDepths(model, new Set([...readers.values()].flat())) : undefined;
  const stageOf = (weight: Value) => (depth ? Math.max(...readers.get(weight)!.map((n) => depth.get(n)!)) : 0);
  const stages = new Map<number, Value[]>();
  for (const weight of readers.keys()) stages.set(stageOf(weight), [...(stages.get(stageOf(weight)) ?? []), weight]);

  const outcome: GptqOutcome = { weights: readers.size, samples: 0, passes: 0, deadInputs: 0, notes: [], warnings: [] };
  const originals = new Map<Value, Tensor>();
  let done = 0;
  try {
    for (const stage of [...stages.keys()].sort((a, b) => a - b)) {
      for (const group of groupByMemory(stages.get(stage)!, readers, calibration.maxHessianBytes ?? DEFAULT_MAX_HESSIAN_BYTES)) {
        const targets = [...new Set(group.flatMap((w) => inputsOf(w, readers)))].map((value) => ({ value, k: widthOf(group, readers, value) }));
        const hessians = await collectHessians(model, targets, calibration);
        outcome.samples = hessians.samples;
        outcome.passes++;
        for (const weight of group) {
          const tensor = weight.constTensor()!;
          const blocks = quantizeOne(weight, tensor, readers.get(weight)!, hessians.byValue, store, outcome);
          calibration.onLayer?.(++done, readers.size);
          if (sequential) {
            originals.set(weight, tensor);
            weight.initializer = dequantizedTensor(blocks, tensor.dtype);
          }
        }
      }
    }
  } finally {
    for (const [weight, tensor] of originals) weight.initializer = tensor;
  }
  const inSubgraphs = model.allGraphs().slice(1).flatMap((g) => [...g.nodes]).filter((n) => !int4SkipReason(n)).length;
  if (inSubgraphs > 0) {
    outcome.warnings.push({ code: 'gptq-subgraph-rtn', severity: 'warning', reason: `${inSubgraphs} MatMul(s) inside subgraphs (If/Loop/Scan bodies) use round-to-nearest: GPTQ measures main-graph layers only` });
  }
  if (outcome.deadInputs > 0) outcome.notes.push(`GPTQ: ${outcome.deadInputs} weight row(s) read inputs that were always zero on the calibration data; they were set to zero, as GPTQ does.`);
  return outcome;
}

/** GPTQ of one weight with the summed Hessians of its readers' inputs; the result goes into the store. */
function quantizeOne(weight: Value, tensor: Tensor, readers: Node[], hessians: Map<string, Float64Array>, store: Int4WeightStore, outcome: GptqOutcome): Int4Blocks {
  const [first, ...rest] = [...new Set(readers.map((n) => n.input(0)!.name))];
  const h = Float64Array.from(hessians.get(first!)!);
  for (const other of rest) {
    const more = hessians.get(other)!;
    for (let i = 0; i < h.length; i++) h[i]! += more[i]!;
  }
  const w = toFloat32(tensor);
  const node = readers[0]!;
  const scaleType = scaleTypeOf(node);
  const result = quantizeInt4Gptq(w, store.shape(tensor, scaleType), h, store.settings.gptq);
  store.put(weight, tensor, result.blocks, scaleType, w);
  outcome.deadInputs += result.deadInputs;
  if (result.damp !== store.settings.gptq.damp) {
    outcome.warnings.push({ code: 'gptq-damp-raised', severity: 'warning', node: node.name, opType: 'MatMul', reason: `the Hessian of '${weight.name}' needed dampening ${result.damp} (asked: ${store.settings.gptq.damp}) to be positive definite` });
  }
  return result.blocks;
}

/** The weight the runtime will compute with, as a float tensor of the weight's own type. */
function dequantizedTensor(blocks: Int4Blocks, dtype: DataType): DenseTensor {
  const values = dequantizeInt4(blocks);
  const dims = [blocks.k, blocks.n];
  return dtype === DataType.FLOAT16 ? DenseTensor.fromTyped(DataType.FLOAT16, dims, float32ArrayToHalf(values)) : DenseTensor.fromTyped(DataType.FLOAT, dims, values);
}

function inputsOf(weight: Value, readers: Map<Value, Node[]>): string[] {
  return [...new Set(readers.get(weight)!.map((n) => n.input(0)!.name))];
}

function widthOf(weights: Value[], readers: Map<Value, Node[]>, input: string): number {
  const weight = weights.find((w) => inputsOf(w, readers).includes(input))!;
  return weight.constTensor()!.dims[0]!;
}

/**
 * Split one stage's weights into groups whose Hessians (8·K² bytes per distinct input) fit the
 * budget; weights that share an input stay together, so each input is measured once.
 */
function groupByMemory(weights: Value[], readers: Map<Value, Node[]>, budget: number): Value[][] {
  const clusters: { weights: Value[]; inputs: Set<string> }[] = [];
  for (const weight of weights) {
    const inputs = inputsOf(weight, readers);
    const joined = clusters.filter((c) => inputs.some((i) => c.inputs.has(i)));
    const merged = { weights: [weight, ...joined.flatMap((c) => c.weights)], inputs: new Set([...inputs, ...joined.flatMap((c) => [...c.inputs])]) };
    for (const c of joined) clusters.splice(clusters.indexOf(c), 1);
    clusters.push(merged);
  }
  const sizes = clusters.map((c) => [...c.inputs].reduce((sum, i) => sum + 8 * widthOf(c.weights, readers, i) ** 2, 0));
  return planGroups(sizes, budget).map((g) => g.flatMap((i) => clusters[i]!.weights));
}

/**
 * For each of `matmuls`, how many of `matmuls` lie on the longest path from the inputs to it,
 * itself included (1 for the first layer). Nodes are in topological order.
 */
function matMulDepths(model: Model, matmuls: ReadonlySet<Node>): Map<Node, number> {
  const level = new Map<Value, number>();
  const depth = new Map<Node, number>();
  for (const node of model.graph.nodes) {
    let d = 0;
    for (const v of node.inputs) if (v) d = Math.max(d, level.get(v) ?? 0);
    if (matmuls.has(node)) depth.set(node, ++d);
    for (const out of node.outputs) if (out) level.set(out, d);
  }
  return depth;
}
