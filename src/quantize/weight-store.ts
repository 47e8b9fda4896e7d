import { attr } from '../ir/attribute.js';
import { DataType } from '../ir/dtype.js';
import { removeUnreadInitializers, type Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import type { Tensor } from '../ir/tensor/tensor.js';
import { toFloat32 } from '../ir/tensor/values.js';
import type { Value } from '../ir/value.js';
import { exactPerTensor, quantizeWeight, type QuantizedWeight } from '../quant/weights.js';

export interface WeightSettings {
  /** int8 symmetric (default) or uint8 asymmetric. */
  dtype: DataType.INT8 | DataType.UINT8;
  symmetric: boolean;
  perTensor: boolean;
  reduceRange: boolean;
}

/** Initializers that hold one quantized weight. */
export interface QuantizedWeightValues {
  q: Value;
  scale: Value;
  zeroPoint: Value;
  /** Per-axis axis, or undefined for per-tensor. */
  axis: number | undefined;
  /** The float values the rewrite replaces (what dequantization gives back). */
  weight: QuantizedWeight;
}

/**
 * Quantizes each constant weight once, however many nodes read it, and makes its DequantizeLinear
 * once: a shared weight is never duplicated. Keys are the weight Value plus the transform applied
 * to it (a rule may need the weight transposed or scaled first).
 */
export class WeightStore {
  private readonly quantized = new Map<string, QuantizedWeightValues>();
  private readonly dequantized = new Map<string, Value>();
  private readonly columns = new Map<QuantizedWeightValues, Value>();
  private readonly ids = new WeakMap<Value, number>();
  /** Weights rounded otherwise than to nearest (GPTQ), on the grid quantizeWeight picks. */
  private readonly rounded = new Map<Value, QuantizedWeight>();
  private nextId = 0;
  /** Float weights whose readers were all rewritten: removed at the end. */
  readonly replaced = new Set<Value>();
  /** Weights asked for per channel that sat on one grid already, so were quantized per tensor (exactly). */
  readonly onOneGrid: string[] = [];
  bytesBefore = 0;
  bytesAfter = 0;

  constructor(
    private readonly model: Model,
    readonly settings: WeightSettings,
  ) {}

  /**
   * The quantized form of `weight` along `axis` (ignored when per-tensor). `transform` names a
   * change applied to the float values first (e.g. 'T' for a transposed Gemm weight) and
   * `values` gives them; by default the weight's own values are used.
   */
  quantize(weight: Value, tensor: Tensor, axis: number | undefined, transform = '', values?: { data: Float32Array; dims: number[] }): QuantizedWeightValues {
    const key = `${this.idOf(weight)}|${transform}|${this.settings.perTensor ? '' : axis}`;
    const cached = this.quantized.get(key);
    if (cached) return cached;
    const data = values?.data ?? toFloat32(tensor);
    const dims = values?.dims ?? [...tensor.dims];
    let useAxis = this.settings.perTensor || dims.length === 0 ? undefined : axis;
    const rounded = transform === '' ? this.rounded.get(weight) : undefined;
    if (rounded && rounded.axis !== useAxis) throw new Error(`internal: '${weight.name}' was rounded along axis ${rounded.axis}, quantized along ${useAxis}`);
    const grid = { dtype: this.settings.dtype, symmetric: this.settings.symmetric, reduceRange: this.settings.reduceRange };
    // Per-row tables keep their per-row form: the Gather rule reads one scale per row.
    const exact = !rounded && useAxis !== undefined && transform !== 'rows' ? exactPerTensor(data, grid) : undefined;
    if (exact) {
      useAxis = undefined;
      this.onOneGrid.push(weight.name);
    }
    const q = rounded ?? exact ?? quantizeWeight(data, dims, { ...grid, ...(useAxis !== undefined ? { axis: useAxis } : {}) });
    const graph = weight.graph!;
    const base = weight.name;
    const scaleDims = useAxis === undefined ? [] : [q.scales.length];
    const entry: QuantizedWeightValues = {
      q: graph.addInitializer(this.model.freshName(`${base}_quantized`), DenseTensor.fromTyped(q.dtype, dims, q.values)),
      scale: graph.addInitializer(this.model.freshName(`${base}_scale`), DenseTensor.fromTyped(DataType.FLOAT, scaleDims, q.scales)),
      zeroPoint: graph.addInitializer(this.model.freshName(`${base}_zero_point`), DenseTensor.fromTyped(q.dtype, scaleDims, q.zeroPoints)),
      axis: useAxis,
      weight: q,
    };
    this.bytesBefore += data.byteLength;
    this.bytesAfter += q.values.byteLength + q.scales.byteLength + q.zeroPoints.byteLength;
    this.quantized.set(key, entry);
    return entry;
  }

  /**
   * Use this quantized form of `weight` (untransformed) instead of rounding it to nearest: GPTQ's
   * codes on the scales and zero points quantizeWeight picks for the store's settings.
   */
  setRounding(weight: Value, quantized: QuantizedWeight): void {
    this.rounded.set(weight, quantized);
  }

  /** A float value equal to the dequantized weight, from one DequantizeLinear at the top of the weight's graph. */
  dequantize(weight: Value, tensor: Tensor, axis: number | undefined): Value {
    const entry = this.quantize(weight, tensor, axis);
    const key = entry.q.name;
    const existing = this.dequantized.get(key);
    if (existing) return existing;
    const graph: Graph = weight.graph!;
    const node = new Node({
      opType: 'DequantizeLinear',
      name: this.model.freshName(`${weight.name}_DequantizeLinear`),
      inputs: [entry.q, entry.scale, entry.zeroPoint],
      outputs: [this.model.freshName(`${weight.name}_dequantized`)],
      ...(entry.axis !== undefined ? { attributes: { axis: attr.int(entry.axis) } } : {}),
    });
    node.output().type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [...tensor.dims] };
    graph.prependNode(node);
    this.dequantized.set(key, node.output());
    return node.output();
  }

  /**
   * A per-row quantized table's scales as a [V, 1] column, made once per table: the form a Gather
   * of rows multiplies by (rules/gather-quantized.ts), which reads it in place of the store's
   * scale and zero-point vectors.
   */
  rowScales(entry: QuantizedWeightValues): Value {
    const existing = this.columns.get(entry);
    if (existing) return existing;
    const rows = entry.weight.scales.length;
    const column = entry.q.graph!.addInitializer(this.model.freshName(`${entry.q.name.replace(/_quantized$/, '')}_row_scales`), DenseTensor.fromTyped(DataType.FLOAT, [rows, 1], entry.weight.scales));
    this.bytesAfter += entry.weight.scales.byteLength;
    this.columns.set(entry, column);
    return column;
  }

  /**
   * Remove the float weights nothing reads any more, and the parts of a quantized form no rewrite
   * used (a per-row table's scale and zero-point vectors, read as rowScales instead): written out
   * unread, they would count in the size and make onnxruntime warn at every load.
   */
  removeReplaced(): void {
    removeUnreadInitializers(this.replaced);
    const parts = [...this.quantized.values()].flatMap((e) => [e.q, e.scale, e.zeroPoint]);
    const bytes = new Map(parts.map((v) => [v, v.initializer?.byteLength ?? 0]));
    for (const v of removeUnreadInitializers(parts)) this.bytesAfter -= bytes.get(v)!;
  }

  private idOf(v: Value): number {
    let id = this.ids.get(v);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(v, id);
    }
    return id;
  }
}

/** Says which weights were quantized per tensor because they sat on one 8-bit grid already; undefined when none did. */
export function oneGridNote(store: WeightStore): string | undefined {
  const names = store.onOneGrid;
  if (names.length === 0) return undefined;
  const listed = names.length <= 3 ? names.map((n) => `'${n}'`).join(', ') : `${names.slice(0, 3).map((n) => `'${n}'`).join(', ')} and ${names.length - 3} more`;
  return `${names.length} weight(s) (${listed}) already sat on one 8-bit grid each, as in a model dequantized from int8: they were quantized per tensor, which gives them back exactly (per channel would round them again)`;
}
