import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType, dtypeInfo } from '../../ir/dtype.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { float32ArrayToHalf } from '../../ir/tensor/float16.js';
import { float32Tensor, int64Tensor } from '../../ir/tensor/values.js';
import { formatType } from '../../ir/types.js';
import { checkAgainstOrt } from '../../../test/helpers/ort-agreement.js';

const F = DataType.FLOAT;
const U8 = DataType.UINT8;
const I8 = DataType.INT8;
const MS = 'com.microsoft';

/** A tensor of `dtype` filled with small valid values. */
function filled(dtype: DataType, dims: number[], value = 1): DenseTensor {
  const count = dims.reduce((a, b) => a * b, 1);
  if (dtype === F) return float32Tensor(dims, new Array(count).fill(value * 0.05));
  if (dtype === DataType.FLOAT16) return DenseTensor.fromTyped(dtype, dims, float32ArrayToHalf(new Array(count).fill(value * 0.05)));
  const Ctor = dtypeInfo(dtype).array!;
  return DenseTensor.fromTyped(dtype, dims, new (Ctor as Uint8ArrayConstructor)(count).fill(value));
}

describe('quantization operator types agree with onnxruntime', () => {
  for (const opset of [10, 11, 13, 17, 21]) {
    it(`ai.onnx quantization operators at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const c = (name: string, dtype: DataType, dims: number[], value = 1) => b.initializer(name, filled(dtype, dims, value));
      const x = b.input('x', F, [2, 3]);
      const q = b.op('QuantizeLinear', [x, c('s', F, [])]);
      b.op('QuantizeLinear', [x, c('s2', F, []), c('z2', I8, [], 0)]);
      b.op('DequantizeLinear', [q, c('ds', F, []), c('dz', U8, [], 128)]);
      if (opset >= 13) b.op('QuantizeLinear', [x, c('sa', F, [3]), c('za', I8, [3], 0)], { attributes: { axis: attr.int(1) } });
      if (opset >= 19) b.op('DequantizeLinear', [q, c('hs', DataType.FLOAT16, [])]);
      if (opset >= 21) {
        b.op('QuantizeLinear', [x, c('s16', F, [])], { attributes: { output_dtype: attr.int(DataType.UINT16) } });
        b.op('QuantizeLinear', [b.input('xb', F, [2, 4]), c('bs', F, [2, 2]), c('bz', I8, [2, 2], 0)], { attributes: { axis: attr.int(1), block_size: attr.int(2) } });
      }
      if (opset >= 11) b.node('DynamicQuantizeLinear', [b.input('dx', F, [3, 4])], { outputCount: 3 });
      const a8 = b.input('a8', U8, [2, 3]);
      b.op('MatMulInteger', [a8, c('mb', U8, [3, 4]), c('mza', U8, [], 1), c('mzb', U8, [], 2)]);
      const img = b.input('img', U8, [1, 2, 5, 5]);
      const w8 = c('w8', U8, [3, 2, 3, 3]);
      b.op('ConvInteger', [img, w8], { attributes: { pads: attr.ints([1, 1, 1, 1]) } });
      b.op('QLinearConv', [img, c('xs', F, []), c('xz', U8, [], 0), w8, c('ws', F, []), c('wz', U8, [], 0), c('ys', F, []), c('yz', U8, [], 0)], {
        attributes: { strides: attr.ints([2, 2]) },
      });
      b.op('QLinearMatMul', [a8, c('as', F, []), c('az', U8, [], 0), c('qb', I8, [3, 5]), c('bs8', F, []), c('bz8', I8, [], 0), c('qs', F, []), c('qz', U8, [], 0)]);
      const { compared } = await checkAgainstOrt(b.model);
      expect(compared).toBeGreaterThanOrEqual(7);
    });
  }

  it('com.microsoft quantization and 4-bit operators', async () => {
    const b = new GraphBuilder(17, { [MS]: 1 });
    const c = (name: string, dtype: DataType, dims: number[], value = 1) => b.initializer(name, filled(dtype, dims, value));
    const a = b.input('a', F, [3, 32]);
    b.op('MatMulNBits', [a, c('nb', U8, [8, 2, 8]), c('nbs', F, [16])], {
      domain: MS,
      attributes: { K: attr.int(32), N: attr.int(8), bits: attr.int(4), block_size: attr.int(16) },
    });
    const ids = b.initializer('ids', int64Tensor([2, 3], [0, 1, 2, 3, 4, 5]));
    b.op('GatherBlockQuantized', [c('gq', U8, [6, 8]), ids, c('gqs', F, [6, 1])], {
      domain: MS,
      attributes: { block_size: attr.int(16), quantize_axis: attr.int(1), bits: attr.int(4) },
    });
    b.op('DynamicQuantizeMatMul', [b.input('dq', F, [3, 4]), c('dqb', I8, [4, 5]), c('dqs', F, [])], { domain: MS });
    const a8 = b.input('a8', U8, [3, 4]);
    b.op('MatMulIntegerToFloat', [a8, c('mib', I8, [4, 5]), c('mias', F, []), c('mibs', F, [])], { domain: MS });
    const q = b.op('QuantizeLinear', [b.input('x', F, [2, 3]), c('s', F, []), c('z', I8, [], 0)], { domain: MS });
    b.op('DequantizeLinear', [q, c('ds', F, []), c('dz', I8, [], 0)], { domain: MS });
    const sc = c('one', F, []);
    const zp = c('zp', U8, [], 128);
    b.op('QLinearAdd', [a8, sc, zp, c('qb', U8, [4]), sc, zp, sc, zp], { domain: MS });
    b.op('QLinearMul', [a8, sc, zp, c('qb2', U8, [3, 1]), sc, zp, sc, zp], { domain: MS });
    b.op('QLinearSigmoid', [a8, sc, zp, sc, zp], { domain: MS });
    b.op('QLinearLeakyRelu', [a8, sc, zp, sc, zp], { domain: MS, attributes: { alpha: attr.float(0.1) } });
    b.op('QLinearConcat', [sc, zp, a8, sc, zp, c('qc', U8, [3, 2]), sc, zp], { domain: MS, attributes: { axis: attr.int(1) } });
    const img = b.input('img', U8, [1, 2, 5, 5]);
    b.op('QLinearGlobalAveragePool', [img, sc, zp, sc, zp], { domain: MS, attributes: { channels_last: attr.int(0) } });
    b.op('QGemm', [a8, sc, zp, c('gb', U8, [4, 6]), sc, zp, null, sc, zp], { domain: MS });
    b.op('QGemm', [a8, sc, zp, c('gb2', U8, [6, 4]), sc, zp], { domain: MS, attributes: { transB: attr.int(1) } });
    b.op('QLinearAveragePool', [img, sc, zp, sc, zp], { domain: MS, attributes: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } });
    b.op('QAttention', [b.input('qa', U8, [2, 3, 8]), c('qaw', U8, [8, 24]), c('qab', F, [24]), sc, sc, null, zp, zp], { domain: MS, attributes: { num_heads: attr.int(2) } });
    b.node('DynamicQuantizeLSTM', [b.input('lx', F, [4, 2, 3]), c('lw', I8, [1, 3, 8]), c('lr', I8, [1, 2, 8]), null, null, null, null, null, c('lws', F, [1]), c('lwz', I8, [1], 0), c('lrs', F, [1]), c('lrz', I8, [1], 0)], {
      domain: MS,
      outputCount: 3,
      attributes: { hidden_size: attr.int(2) },
    });
    const { compared } = await checkAgainstOrt(b.model);
    expect(compared).toBeGreaterThanOrEqual(14);
  });

  it('keeps the per-channel axis size that later passes place Q/DQ by', async () => {
    const b = new GraphBuilder(13);
    const w = b.input('w', F, [16, 'cin', 3, 3]);
    const q = b.op('QuantizeLinear', [w, b.initializer('s', filled(F, [16])), b.initializer('z', filled(I8, [16], 0))], { attributes: { axis: attr.int(0) } });
    await checkAgainstOrt(b.model, { symbols: { cin: 4 } });
    expect(formatType(q.type)).toBe('int8[16,cin,3,3]');
  });
});
