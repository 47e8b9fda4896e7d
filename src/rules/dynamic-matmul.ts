import { attr } from '../ir/attribute.js';
import { DataType, dtypeName } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import { toFloat32 } from '../ir/tensor/values.js';
import { isTensorType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { constantWeight } from '../inspect/weights.js';
import type { WeightStore } from '../quantize/weight-store.js';
import type { Rule, SkipReason } from './rule.js';
import { weightSkipReason } from './weight-only.js';

export interface DynamicContext {
  model: Model;
  store: WeightStore;
}

/**
 * dynamic: MatMul / Gemm with a constant weight becomes
 *   DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q, x_zp, W_zp) → Cast(float) → Mul(·, Mul(x_scale, W_scale)) [→ Add(bias)]
 * exactly the shape onnxruntime fuses at load time into MatMulIntegerToFloat and then
 * DynamicQuantizeMatMul (both fusions require each intermediate to have a single reader, so every
 * MatMul gets its own DynamicQuantizeLinear and scale product).
 */
export const dynamicMatMulRule: Rule<DynamicContext> = {
  name: 'dynamic-matmul',
  opTypes: ['MatMul', 'Gemm'],
  check(node: Node): SkipReason | undefined {
    const weightReason = weightSkipReason(node);
    if (weightReason) return weightReason;
    const site = constantWeight(node)!;
    if (site.tensor.dims.length !== 2) return { code: 'weight-not-2d', reason: `weight is ${site.tensor.dims.length}-D; MatMulInteger here takes a 2-D [K, N] weight` };
    const x = node.input(0)!;
    if (isTensorType(x.type) && x.type.elemType !== DataType.FLOAT) {
      return { code: 'input-not-float32', reason: `input '${x.name}' is ${dtypeName(x.type.elemType)}; DynamicQuantizeLinear takes float32` };
    }
    if (node.opType === 'Gemm' && node.attrInt('transA', 0) !== 0) return { code: 'gemm-transA', reason: 'Gemm with transA=1 is left in float' };
    return undefined;
  },
  rewrite(node: Node, ctx: DynamicContext): void {
    const site = constantWeight(node)!;
    const weight = node.input(1)!;
    const isGemm = node.opType === 'Gemm';
    const transB = isGemm && node.attrInt('transB', 0) !== 0;
    const alpha = isGemm ? node.attrFloat('alpha', 1) : 1;
    // MatMulInteger wants B as [K, N]: fold Gemm's transpose and alpha into the weight before quantizing.
    const values = transB || alpha !== 1 ? gemmWeight(toFloat32(site.tensor), site.tensor.dims as [number, number], transB, alpha) : undefined;
    const q = ctx.store.quantize(weight, site.tensor, 1, values ? `gemm:${transB ? 'T' : ''}:${alpha}` : '', values);
    ctx.store.replaced.add(weight);

    const graph = node.graph!;
    // Taken now: the node hands its output over below, and an unnamed node is named after it.
    const base = node.name || node.output().name;
    const name = (suffix: string) => ctx.model.freshName(`${base}_${suffix}`);
    const add = (opType: string, inputs: (Value | null)[], outputs: number, attributes = {}) => {
      const n = new Node({ opType, name: name(opType), inputs, outputs: Array.from({ length: outputs }, (_, i) => name(`${opType}_out${i || ''}`)), attributes });
      graph.insertBefore(node, n);
      return n;
    };
    const dql = add('DynamicQuantizeLinear', [node.input(0)!], 3);
    const [xq, xScale, xZero] = dql.outputs as Value[];
    xq!.type = { kind: 'tensor', elemType: DataType.UINT8 };
    xScale!.type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [] };
    xZero!.type = { kind: 'tensor', elemType: DataType.UINT8, shape: [] };
    const mmi = add('MatMulInteger', [xq!, q.q, xZero!, q.zeroPoint], 1);
    mmi.output().type = { kind: 'tensor', elemType: DataType.INT32 };
    const cast = add('Cast', [mmi.output()], 1, { to: attr.int(DataType.FLOAT) });
    cast.output().type = { kind: 'tensor', elemType: DataType.FLOAT };
    const scales = add('Mul', [xScale!, q.scale], 1);
    scales.output().type = { kind: 'tensor', elemType: DataType.FLOAT };

    const out = node.output();
    node.setOutput(0, null);
    const bias = isGemm ? gemmBias(node, ctx) : undefined;
    if (bias) {
      const scaled = add('Mul', [cast.output(), scales.output()], 1);
      scaled.output().type = { kind: 'tensor', elemType: DataType.FLOAT };
      const addNode = new Node({ opType: 'Add', name: name('Add'), inputs: [scaled.output(), bias], outputs: [out] });
      graph.insertBefore(node, addNode);
    } else {
      graph.insertBefore(node, new Node({ opType: 'Mul', name: name('Mul'), inputs: [cast.output(), scales.output()], outputs: [out] }));
    }
    graph.removeNode(node);
  },
};

/** B (or Bᵀ) × alpha as a [K, N] matrix. */
function gemmWeight(b: Float32Array, [rows, cols]: [number, number], transB: boolean, alpha: number): { data: Float32Array; dims: number[] } {
  if (!transB) return { data: b.map((v) => Math.fround(v * alpha)), dims: [rows, cols] };
  const out = new Float32Array(b.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = Math.fround(b[r * cols + c]! * alpha);
  return { data: out, dims: [cols, rows] };
}

/** Gemm's C × beta: a new constant when C is constant, else a Mul (or C itself when beta is 1). */
function gemmBias(node: Node, ctx: DynamicContext): Value | undefined {
  const c = node.input(2);
  if (!c) return undefined;
  const beta = node.attrFloat('beta', 1);
  if (beta === 1) return c;
  const graph = node.graph!;
  const tensor = c.constTensor();
  if (tensor && tensor.dtype === DataType.FLOAT) {
    const scaled = toFloat32(tensor).map((v) => Math.fround(v * beta));
    return graph.addInitializer(ctx.model.freshName(`${c.name}_times_beta`), DenseTensor.fromTyped(DataType.FLOAT, [...tensor.dims], scaled));
  }
  const betaValue = graph.addInitializer(ctx.model.freshName(`${node.name}_beta`), DenseTensor.fromTyped(DataType.FLOAT, [], new Float32Array([beta])));
  const mul = new Node({ opType: 'Mul', name: ctx.model.freshName(`${node.name}_bias_beta`), inputs: [c, betaValue], outputs: [ctx.model.freshName(`${node.name}_bias_scaled`)] });
  graph.insertBefore(node, mul);
  return mul.output();
}
