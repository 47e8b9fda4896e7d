// The 4-bit layouts against onnxruntime's kernels: a weight quantized to blocks is packed as
// MatMulNBits / blocked DequantizeLinear / GatherBlockQuantized inputs, run in onnxruntime-node
// (graph optimizations off), and compared with the plain float op on the dequantized weight —
// (code − zero) × scale computed here from the unpacked codes, never read back from the packing.
import { describe, expect, it } from 'vitest';
import { attr } from '../src/ir/attribute.js';
import { GraphBuilder } from '../src/ir/builder.js';
import { DataType } from '../src/ir/dtype.js';
import { DenseTensor } from '../src/ir/tensor/dense.js';
import { float32ArrayToHalf, halfArrayToFloat32, floatToHalf, halfToFloat } from '../src/ir/tensor/float16.js';
import { float32Tensor, int64Tensor } from '../src/ir/tensor/values.js';
import { encodeModel } from '../src/serde/encode.js';
import { blockCount } from '../src/quant/int4.js';
import { dequantizeInt4, quantizeInt4Rtn, type BlockShape, type Int4Blocks } from '../src/quant/int4-blocks.js';
import { quantizeInt4Hqq } from '../src/quant/hqq.js';
import { toBlockedQdq, toGatherBlocks, toMatMulNBits } from '../src/quant/int4-layout.js';
import type { HostTensor } from '../src/runner/runner.js';
import { gaussian } from './helpers/distributions.js';
import { runOnce } from './helpers/ort.js';
import { maxRelativeDiff } from './helpers/fidelity.js';

const M = 5;
const N = 24;
const roundHalf = (x: number) => halfToFloat(floatToHalf(x));

function floats(t: HostTensor): Float32Array {
  return t.dtype === DataType.FLOAT16 ? halfArrayToFloat32(t.data as Uint16Array) : (t.data as Float32Array);
}

/** y = x · w on a [M, K] input, the weight a float initializer: the reference. */
async function floatMatMul(x: Float32Array, w: Float32Array, k: number, n: number, opset = 17): Promise<Float32Array> {
  const b = new GraphBuilder(opset);
  const input = b.input('x', DataType.FLOAT, [M, k]);
  b.output(b.op('MatMul', [input, b.initializer('w', float32Tensor([k, n], w))]), DataType.FLOAT, [M, n]);
  return floats((await runOnce(encodeModel(b.model), { x: { dtype: DataType.FLOAT, dims: [M, k], data: x } }))[b.graph.outputs[0]!.name]!);
}

interface NbitsCase {
  k: number;
  blockSize: number;
  symmetric: boolean;
  /** hqq with fractional zero points (MatMulNBits takes them in the activation's type). */
  floatZero?: boolean;
  fp16?: boolean;
}

async function runMatMulNBits(blocks: Int4Blocks, x: Float32Array, c: NbitsCase): Promise<Float32Array> {
  const { k, blockSize } = c;
  const kBlocks = blockCount(k, blockSize);
  const packed = toMatMulNBits(blocks);
  const type = c.fp16 ? DataType.FLOAT16 : DataType.FLOAT;
  const floatTensor = (dims: number[], v: Float32Array) => (c.fp16 ? DenseTensor.fromTyped(DataType.FLOAT16, dims, float32ArrayToHalf(v)) : float32Tensor(dims, v));
  const b = new GraphBuilder(17, { 'com.microsoft': 1 });
  const input = b.input('x', type, [M, k]);
  const inputs = [
    input,
    b.initializer('B', DenseTensor.fromTyped(DataType.UINT8, [N, kBlocks, blockSize / 2], packed.b)),
    b.initializer('scales', floatTensor([N, kBlocks], packed.scales)),
  ];
  if (packed.zeroPoints instanceof Float32Array) inputs.push(b.initializer('zp', floatTensor([N, kBlocks], packed.zeroPoints)));
  else if (packed.zeroPoints) inputs.push(b.initializer('zp', DenseTensor.fromTyped(DataType.UINT8, [N, Math.ceil(kBlocks / 2)], packed.zeroPoints)));
  const y = b.op('MatMulNBits', inputs, { domain: 'com.microsoft', attributes: { K: attr.int(k), N: attr.int(N), bits: attr.int(4), block_size: attr.int(blockSize) } });
  b.output(y, type, [M, N]);
  const data = c.fp16 ? float32ArrayToHalf(x) : x;
  return floats((await runOnce(encodeModel(b.model), { x: { dtype: type, dims: [M, k], data } }))[y.name]!);
}

describe('MatMulNBits with our packed weights equals MatMul with the dequantized weights', () => {
  const cases: NbitsCase[] = [
    { k: 256, blockSize: 32, symmetric: true },
    { k: 256, blockSize: 32, symmetric: false },
    { k: 256, blockSize: 128, symmetric: true },
    { k: 384, blockSize: 128, symmetric: false },
    // K not a multiple of the block: the last block is partial (the op allows it: kBlocks = ceil(K / block)).
    { k: 200, blockSize: 32, symmetric: true },
    { k: 200, blockSize: 128, symmetric: false },
    { k: 256, blockSize: 32, symmetric: false, floatZero: true },
    { k: 256, blockSize: 32, symmetric: true, fp16: true },
    { k: 200, blockSize: 32, symmetric: false, fp16: true },
    { k: 256, blockSize: 64, symmetric: false, floatZero: true, fp16: true },
  ];
  for (const c of cases) {
    const label = `K ${c.k}, block ${c.blockSize}, ${c.symmetric ? 'symmetric' : 'asymmetric'}${c.floatZero ? ' (hqq, float zero points)' : ''}${c.fp16 ? ', fp16 activations and scales' : ''}`;
    it(label, async () => {
      const w = gaussian(c.k * N, c.k + c.blockSize, 0.05);
      const shape: BlockShape = { k: c.k, n: N, blockSize: c.blockSize, symmetric: c.symmetric, roundScale: c.fp16 ? roundHalf : Math.fround };
      const blocks = c.floatZero ? quantizeInt4Hqq(w, shape, { floatZero: true, ...(c.fp16 ? {} : {}) }) : quantizeInt4Rtn(w, shape);
      if (c.floatZero && c.fp16) {
        // The zero points are stored in float16 too: quantize against the stored values.
        for (let i = 0; i < blocks.zeros.length; i++) blocks.zeros[i] = roundHalf(blocks.zeros[i]!);
      }
      expect(blocks.zeros instanceof Float32Array).toBe(Boolean(c.floatZero));
      // fp16 activations: the reference sees the same rounded inputs.
      let x = gaussian(M * c.k, 7 + c.k);
      if (c.fp16) x = halfArrayToFloat32(float32ArrayToHalf(x));
      const reference = await floatMatMul(x, dequantizeInt4(blocks), c.k, N);
      const actual = await runMatMulNBits(blocks, x, c);
      // float32: only the order of the sums differs; float16: one rounding of the output (2⁻¹¹) and fp16 accumulation.
      expect(maxRelativeDiff(actual, reference)).toBeLessThan(c.fp16 ? 4e-3 : 2e-5);
    });
  }
});

describe('opset-21 blocked DequantizeLinear (int4 / uint4) + MatMul equals MatMul with the dequantized weights', () => {
  for (const [k, blockSize, symmetric] of [
    [256, 32, true],
    [256, 32, false],
    [256, 128, true],
    [384, 128, false],
    [200, 32, true],
    [200, 128, false],
  ] as const) {
    it(`K ${k}, block ${blockSize}, ${symmetric ? 'int4, no zero point' : 'uint4 with uint4 zero points'}`, async () => {
      const w = gaussian(k * N, 3 * k + blockSize, 0.05);
      const blocks = quantizeInt4Rtn(w, { k, n: N, blockSize, symmetric });
      const packed = toBlockedQdq(blocks);
      expect(packed.signed).toBe(symmetric);
      const kBlocks = blockCount(k, blockSize);
      const b = new GraphBuilder(21);
      const input = b.input('x', DataType.FLOAT, [M, k]);
      const dtype = symmetric ? DataType.INT4 : DataType.UINT4;
      const dqInputs = [b.initializer('w_q', new DenseTensor(dtype, [k, N], packed.values)), b.initializer('w_scale', float32Tensor([kBlocks, N], packed.scales))];
      if (packed.zeroPoints) dqInputs.push(b.initializer('w_zp', new DenseTensor(DataType.UINT4, [kBlocks, N], packed.zeroPoints)));
      const deq = b.op('DequantizeLinear', dqInputs, { attributes: { axis: attr.int(0), block_size: attr.int(blockSize) } });
      const y = b.op('MatMul', [input, deq]);
      b.output(y, DataType.FLOAT, [M, N]);
      const x = gaussian(M * k, 11 + k);
      const actual = floats((await runOnce(encodeModel(b.model), { x: { dtype: DataType.FLOAT, dims: [M, k], data: x } }))[y.name]!);
      const reference = await floatMatMul(x, dequantizeInt4(blocks), k, N);
      expect(maxRelativeDiff(actual, reference)).toBeLessThan(2e-5);
    });
  }
});

describe('GatherBlockQuantized with our packed table equals Gather of the dequantized table', () => {
  const V = 40;
  for (const [d, blockSize, bits, symmetric] of [
    [64, 32, 4, true],
    [64, 32, 4, false],
    [128, 128, 4, true],
    [64, 16, 8, false],
  ] as const) {
    it(`[${V}, ${d}] table, block ${blockSize}, ${bits} bits, ${symmetric ? 'symmetric' : 'asymmetric'}`, async () => {
      const table = gaussian(V * d, d + bits, 0.1);
      // The block quantizers work along K of [K, N]: hand them the transposed table [D, V].
      const transposed = new Float32Array(V * d);
      for (let r = 0; r < V; r++) for (let c = 0; c < d; c++) transposed[c * V + r] = table[r * d + c]!;
      const blocks = quantizeInt4Rtn(transposed, { k: d, n: V, blockSize, symmetric, bits });
      const packed = toGatherBlocks(blocks);
      const deqT = dequantizeInt4(blocks);
      const deq = new Float32Array(V * d);
      for (let r = 0; r < V; r++) for (let c = 0; c < d; c++) deq[r * d + c] = deqT[c * V + r]!;
      const kBlocks = blockCount(d, blockSize);
      const dataType = bits === 8 ? DataType.UINT8 : packed.signed ? DataType.INT4 : DataType.UINT4;
      const ids = [0, 3, 39, 17, 3, 25];
      const b = new GraphBuilder(21, { 'com.microsoft': 1 });
      const idx = b.initializer('ids', int64Tensor([2, 3], ids));
      const inputs = [b.initializer('table_q', new DenseTensor(dataType, [V, d], packed.data)), idx, b.initializer('scales', float32Tensor([V, kBlocks], packed.scales))];
      if (packed.zeroPoints) inputs.push(b.initializer('zp', new DenseTensor(dataType, [V, kBlocks], packed.zeroPoints)));
      const y = b.op('GatherBlockQuantized', inputs, {
        domain: 'com.microsoft',
        attributes: { gather_axis: attr.int(0), quantize_axis: attr.int(1), block_size: attr.int(blockSize), bits: attr.int(bits) },
      });
      b.output(y, DataType.FLOAT, [2, 3, d]);
      // A model needs an input: a dummy one that flows to a second output.
      const dummy = b.input('unused', DataType.FLOAT, [1]);
      b.output(b.op('Identity', [dummy]), DataType.FLOAT, [1]);
      const out = await runOnce(encodeModel(b.model), { unused: { dtype: DataType.FLOAT, dims: [1], data: new Float32Array(1) } });
      const actual = floats(out[y.name]!);
      const expected = new Float32Array(ids.length * d);
      ids.forEach((id, i) => expected.set(deq.subarray(id * d, (id + 1) * d), i * d));
      expect(maxRelativeDiff(actual, expected)).toBeLessThan(1e-6);
    });
  }
});
