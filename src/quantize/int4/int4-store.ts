import { attr } from '../../ir/attribute.js';
import { removeUnreadInitializers } from '../../ir/graph.js';
import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { Node } from '../../ir/node.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { float32ArrayToHalf, floatToHalf, halfToFloat } from '../../ir/tensor/float16.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import { toFloat32 } from '../../ir/tensor/values.js';
import type { Value } from '../../ir/value.js';
import { blockCount } from '../../quant/int4.js';
import { quantizeInt4Rtn, reconstructionError, type BlockShape, type Int4Blocks } from '../../quant/int4-blocks.js';
import { toBlockedQdq, toGatherBlocks, toMatMulNBits } from '../../quant/int4-layout.js';
import { quantizeInt4Hqq } from '../../quant/hqq.js';
import type { Int4Settings } from './settings.js';

/** Scales are stored in the activation's type: float32, or float16 for q4f16 models. */
export type ScaleType = DataType.FLOAT | DataType.FLOAT16;

/** The initializers that replace one [K, N] weight. */
export interface Int4Weight {
  k: number;
  n: number;
  /** nbits: B uint8 [N, kBlocks, blockSize/2]; qdq: the int4/uint4 [K, N] tensor. */
  data: Value;
  /** nbits: [N, kBlocks]; qdq: [kBlocks, N]. */
  scales: Value;
  /** Absent when symmetric. */
  zeroPoints: Value | undefined;
}

/**
 * Quantizes each weight once, however many MatMuls read it, and turns the blocks straight into
 * the packed initializers of the chosen format: the float values and the unpacked codes are
 * dropped before the next weight is read, so a model streams weight by weight (external tensors
 * are read from disk each time and never cached). GPTQ results, computed ahead from calibration
 * statistics, are handed in with `put`.
 */
export class Int4WeightStore {
  private readonly entries = new Map<string, Int4Weight>();
  private readonly dequantized = new Map<string, Value>();
  private readonly ids = new WeakMap<Value, number>();
  private nextId = 0;
  /** Float weights whose readers were rewritten: removed at the end when nothing else reads them. */
  readonly replaced = new Set<Value>();
  bytesBefore = 0;
  bytesAfter = 0;
  /** Σ(w − ŵ)² and Σw² over every quantized weight (float64). */
  squaredError = 0;
  energy = 0;

  constructor(
    private readonly model: Model,
    readonly settings: Int4Settings,
  ) {}

  shape(tensor: Pick<Tensor, 'dims'>, scaleType: ScaleType): BlockShape {
    const [k, n] = tensor.dims as [number, number];
    return { k, n, blockSize: this.settings.blockSize, symmetric: this.settings.symmetric, roundScale: scaleType === DataType.FLOAT16 ? roundToHalf : Math.fround };
  }

  has(weight: Value, scaleType: ScaleType): boolean {
    return this.entries.has(this.key(weight, scaleType));
  }

  /** The packed form of `weight`, quantized now with rtn or hqq unless `put` gave it already. */
  get(weight: Value, tensor: Tensor, scaleType: ScaleType): Int4Weight {
    const existing = this.entries.get(this.key(weight, scaleType));
    if (existing) return existing;
    const w = toFloat32(tensor);
    const shape = this.shape(tensor, scaleType);
    // Fractional zero points only where they can be stored: MatMulNBits.
    const hqq = { ...this.settings.hqq, floatZero: this.settings.hqq.floatZero && this.settings.format === 'nbits' };
    const blocks = this.settings.method === 'hqq' ? quantizeInt4Hqq(w, shape, hqq) : quantizeInt4Rtn(w, shape);
    return this.put(weight, tensor, blocks, scaleType, w);
  }

  /** Record blocks quantized elsewhere (GPTQ) as `weight`'s packed initializers. */
  put(weight: Value, tensor: Tensor, blocks: Int4Blocks, scaleType: ScaleType, w: Float32Array = toFloat32(tensor)): Int4Weight {
    const error = reconstructionError(w, blocks);
    this.squaredError += error.sse;
    this.energy += error.energy;
    const graph = weight.graph!;
    const name = (suffix: string) => this.model.freshName(`${weight.name}_${suffix}`);
    const { k, n, blockSize } = blocks;
    const scales = (values: Float32Array, dims: number[]) => graph.addInitializer(name('scales'), this.scaleTensor(values, dims, scaleType));
    const kBlocks = blockCount(k, blockSize);
    let entry: Int4Weight;
    if (this.settings.format === 'nbits') {
      const packed = toMatMulNBits(blocks);
      entry = {
        k,
        n,
        data: graph.addInitializer(name('Q4'), DenseTensor.fromTyped(DataType.UINT8, [n, kBlocks, blockSize / 2], packed.b)),
        scales: scales(packed.scales, [n, kBlocks]),
        zeroPoints:
          packed.zeroPoints instanceof Float32Array
            ? graph.addInitializer(name('zero_points'), this.scaleTensor(packed.zeroPoints, [n, kBlocks], scaleType))
            : packed.zeroPoints
              ? graph.addInitializer(name('zero_points'), DenseTensor.fromTyped(DataType.UINT8, [n, (kBlocks + 1) >> 1], packed.zeroPoints))
              : undefined,
      };
    } else {
      const packed = toBlockedQdq(blocks);
      const dtype = packed.signed ? DataType.INT4 : DataType.UINT4;
      entry = {
        k,
        n,
        data: graph.addInitializer(name('int4'), new DenseTensor(dtype, [k, n], packed.values)),
        scales: scales(packed.scales, [kBlocks, n]),
        zeroPoints: packed.zeroPoints ? graph.addInitializer(name('zero_point'), new DenseTensor(DataType.UINT4, [kBlocks, n], packed.zeroPoints)) : undefined,
      };
    }
    this.bytesBefore += tensor.byteLength;
    this.bytesAfter += [entry.data, entry.scales, entry.zeroPoints].reduce((sum, v) => sum + (v?.initializer?.byteLength ?? 0), 0);
    this.entries.set(this.key(weight, scaleType), entry);
    return entry;
  }

  /**
   * GatherBlockQuantized inputs for a [V, D] table, blocks along D: the table is transposed so the
   * block quantizers (which block along K of a [K, N] weight) apply unchanged. GPTQ has no
   * statistics for a lookup, so gptq uses round-to-nearest here; 8 bits are always round-to-nearest.
   */
  gatherTable(table: Value, tensor: Tensor, bits: 4 | 8): Int4Weight {
    const key = `${this.key(table, DataType.FLOAT)}|gather${bits}`;
    const existing = this.entries.get(key);
    if (existing) return existing;
    const scaleType: ScaleType = tensor.dtype === DataType.FLOAT16 ? DataType.FLOAT16 : DataType.FLOAT;
    const values = toFloat32(tensor);
    const [v, d] = tensor.dims as [number, number];
    const transposed = new Float32Array(v * d);
    for (let r = 0; r < v; r++) for (let c = 0; c < d; c++) transposed[c * v + r] = values[r * d + c]!;
    const shape: BlockShape = { ...this.shape({ dims: [d, v] }, scaleType), bits };
    const blocks = this.settings.method === 'hqq' && bits === 4 ? quantizeInt4Hqq(transposed, shape, { ...this.settings.hqq, floatZero: false }) : quantizeInt4Rtn(transposed, shape);
    const error = reconstructionError(transposed, blocks);
    this.squaredError += error.sse;
    this.energy += error.energy;
    const packed = toGatherBlocks(blocks);
    const kBlocks = blockCount(d, this.settings.blockSize);
    const dataType = bits === 8 ? DataType.UINT8 : packed.signed ? DataType.INT4 : DataType.UINT4;
    const graph = table.graph!;
    const name = (suffix: string) => this.model.freshName(`${table.name}_${suffix}`);
    const entry: Int4Weight = {
      k: v,
      n: d,
      data: graph.addInitializer(name(`q${bits}`), new DenseTensor(dataType, [v, d], packed.data)),
      scales: graph.addInitializer(name('scales'), this.scaleTensor(packed.scales, [v, kBlocks], scaleType)),
      zeroPoints: packed.zeroPoints ? graph.addInitializer(name('zero_points'), new DenseTensor(dataType, [v, kBlocks], packed.zeroPoints)) : undefined,
    };
    this.bytesBefore += tensor.byteLength;
    this.bytesAfter += [entry.data, entry.scales, entry.zeroPoints].reduce((sum, x) => sum + (x?.initializer?.byteLength ?? 0), 0);
    this.entries.set(key, entry);
    return entry;
  }

  private scaleTensor(values: Float32Array, dims: number[], scaleType: ScaleType): DenseTensor {
    return scaleType === DataType.FLOAT16 ? DenseTensor.fromTyped(DataType.FLOAT16, dims, float32ArrayToHalf(values)) : DenseTensor.fromTyped(DataType.FLOAT, dims, values);
  }

  /** qdq: one DequantizeLinear(axis 0, block_size) per weight, at the top of its graph. */
  dequantize(weight: Value, tensor: Tensor, scaleType: ScaleType): Value {
    const key = this.key(weight, scaleType);
    const existing = this.dequantized.get(key);
    if (existing) return existing;
    const entry = this.get(weight, tensor, scaleType);
    const node = new Node({
      opType: 'DequantizeLinear',
      name: this.model.freshName(`${weight.name}_DequantizeLinear`),
      inputs: entry.zeroPoints ? [entry.data, entry.scales, entry.zeroPoints] : [entry.data, entry.scales],
      outputs: [this.model.freshName(`${weight.name}_dequantized`)],
      attributes: { axis: attr.int(0), block_size: attr.int(this.settings.blockSize) },
    });
    node.output().type = { kind: 'tensor', elemType: scaleType, shape: [...tensor.dims] };
    const graph = weight.graph!;
    graph.prependNode(node);
    this.dequantized.set(key, node.output());
    return node.output();
  }

  /** Remove the float weights nothing reads any more. */
  removeReplaced(): void {
    removeUnreadInitializers(this.replaced);
  }

  private key(weight: Value, scaleType: ScaleType): string {
    let id = this.ids.get(weight);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(weight, id);
    }
    return `${id}|${scaleType}`;
  }
}

function roundToHalf(x: number): number {
  return halfToFloat(floatToHalf(x));
}
