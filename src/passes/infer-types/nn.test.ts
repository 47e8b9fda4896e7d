import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { float32Tensor, int64Tensor } from '../../ir/tensor/values.js';
import { formatType } from '../../ir/types.js';
import { inferTypes } from './infer-types.js';
import { checkAgainstOrt } from '../../../test/helpers/ort-agreement.js';

const F = DataType.FLOAT;
const weights = (dims: number[]) => float32Tensor(dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(0.01));

describe('conv, pool, normalization and matmul types agree with onnxruntime', () => {
  for (const opset of [9, 11, 13, 17, 21]) {
    it(`convolutions and pools at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const x = b.input('x', F, [1, 4, 11, 10]);
      b.op('Conv', [x, b.initializer('w1', weights([8, 4, 3, 3]))], { attributes: { pads: attr.ints([1, 1, 1, 1]) } });
      b.op('Conv', [x, b.initializer('w2', weights([6, 2, 3, 2]))], {
        attributes: { strides: attr.ints([2, 3]), dilations: attr.ints([2, 1]), group: attr.int(2), pads: attr.ints([0, 1, 2, 0]) },
      });
      b.op('Conv', [x, b.initializer('w3', weights([4, 4, 3, 3]))], { attributes: { auto_pad: attr.string('SAME_UPPER'), strides: attr.ints([2, 2]) } });
      b.op('Conv', [x, b.initializer('w4', weights([4, 4, 5, 5]))], { attributes: { auto_pad: attr.string('VALID') } });
      b.op('ConvTranspose', [x, b.initializer('wt', weights([4, 3, 3, 3]))], {
        attributes: { strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]), output_padding: attr.ints([1, 0]) },
      });
      b.op('ConvTranspose', [x, b.initializer('wt2', weights([4, 1, 2, 2]))], { attributes: { group: attr.int(4), strides: attr.ints([2, 2]) } });
      b.node('MaxPool', [x], { outputCount: 2, attributes: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) } });
      b.op('AveragePool', [x], { attributes: { kernel_shape: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]) } });
      if (opset >= 11) {
        // ceil_mode, including the case where the last window would start in the end padding.
        b.op('MaxPool', [x], { attributes: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), ceil_mode: attr.int(1) } });
        b.op('AveragePool', [b.input('x8', F, [1, 1, 4, 4])], {
          attributes: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), pads: attr.ints([0, 0, 1, 1]), ceil_mode: attr.int(1) },
        });
      }
      b.op('GlobalAveragePool', [x]);
      b.op('GlobalMaxPool', [x]);
      b.op('LpPool', [x], { attributes: { kernel_shape: attr.ints([2, 2]) } });
      const { compared } = await checkAgainstOrt(b.model);
      expect(compared).toBeGreaterThanOrEqual(11);
    });

    it(`normalizations, layout ops and matmuls at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const x = b.input('x', F, [2, 8, 4, 6]);
      const c = (name: string) => b.initializer(name, weights([8]));
      b.op('BatchNormalization', [x, c('s'), c('b'), c('m'), c('v')]);
      b.op('InstanceNormalization', [x, c('is'), c('ib')]);
      b.op('LRN', [x], { attributes: { size: attr.int(3) } });
      b.op('DepthToSpace', [x], { attributes: { blocksize: attr.int(2) } });
      b.op('SpaceToDepth', [x], { attributes: { blocksize: attr.int(2) } });
      b.op('MatMul', [x, b.initializer('mw', weights([6, 5]))]);
      b.op('MatMul', [b.input('v', F, [6]), b.initializer('mv', weights([3, 6, 2]))]);
      b.op('MatMul', [b.input('bm', F, [3, 1, 2, 6]), b.input('bn', F, [4, 6, 7])]);
      b.op('Gemm', [b.input('ga', F, [5, 3]), b.initializer('gb', weights([4, 5])), b.initializer('gc', weights([4]))], {
        attributes: { transA: attr.int(1), transB: attr.int(1) },
      });
      if (opset >= 12) b.op('Einsum', [x, b.input('e', F, [6, 3])], { attributes: { equation: attr.string('bchw,wk->bkh') } });
      if (opset >= 12) b.op('Einsum', [b.input('e2', F, [2, 3, 4]), b.input('e3', F, [2, 4, 5])], { attributes: { equation: attr.string('...ij,...jk') } });
      if (opset >= 17) b.node('LayerNormalization', [x, b.initializer('lg', weights([4, 6])), b.initializer('lb', weights([4, 6]))], { outputCount: 3, attributes: { axis: attr.int(-2) } });
      if (opset >= 21) b.op('GroupNormalization', [x, b.initializer('gs', weights([8])), b.initializer('gbias', weights([8]))], { attributes: { num_groups: attr.int(4) } });
      if (opset >= 16) b.op('GridSample', [x, b.input('grid', F, [2, 3, 5, 2])]);
      if (opset >= 16) {
        b.op('RoiAlign', [x, b.input('rois', F, [3, 4]), b.initializer('bi', int64Tensor([3], [0, 1, 0]))], {
          attributes: { output_height: attr.int(2), output_width: attr.int(3) },
        });
      }
      const { compared } = await checkAgainstOrt(b.model);
      expect(compared).toBeGreaterThanOrEqual(8);
    });

    it(`recurrent layers at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const x = b.input('x', F, [5, 2, 3]);
      const hidden = 4;
      b.node('LSTM', [x, b.initializer('lw', weights([2, 4 * hidden, 3])), b.initializer('lr', weights([2, 4 * hidden, hidden]))], {
        outputCount: 3,
        attributes: { hidden_size: attr.int(hidden), direction: attr.string('bidirectional') },
      });
      b.node('GRU', [x, b.initializer('gw', weights([1, 3 * hidden, 3])), b.initializer('gr', weights([1, 3 * hidden, hidden]))], {
        outputCount: 2,
        attributes: { hidden_size: attr.int(hidden) },
      });
      b.node('RNN', [x, b.initializer('rw', weights([1, hidden, 3])), b.initializer('rr', weights([1, hidden, hidden]))], {
        outputCount: 2,
        attributes: { hidden_size: attr.int(hidden) },
      });
      await checkAgainstOrt(b.model);
    });
  }

  it('puts batch first with layout = 1 (onnxruntime has no kernel for it, so checked by value)', () => {
    const b = new GraphBuilder(14);
    const x = b.input('x', F, [2, 5, 3]);
    const [y, yh] = b.node('RNN', [x, b.initializer('rw', weights([1, 4, 3])), b.initializer('rr', weights([1, 4, 4]))], {
      outputCount: 2,
      attributes: { hidden_size: attr.int(4), layout: attr.int(1) },
    });
    inferTypes(b.model);
    expect([formatType(y!.type), formatType(yh!.type)]).toEqual(['float32[2,5,1,4]', 'float32[2,1,4]']);
  });

  it('keeps symbolic spatial dims through same-size convolutions', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, ['n', 3, 'h', 'w']);
    const y = b.op('Conv', [x, b.initializer('w', weights([8, 3, 3, 3]))], { attributes: { pads: attr.ints([1, 1, 1, 1]) } });
    const z = b.op('Conv', [y, b.initializer('w2', weights([8, 8, 3, 3]))], { attributes: { strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) } });
    b.output(z);
    await checkAgainstOrt(b.model, { symbols: { n: 2, h: 9, w: 7 }, allowDynamic: [z.name] });
    expect(formatType(y.type)).toBe('float32[n,8,h,w]');
    expect(formatType(z.type)).toBe('float32[n,8,?,?]');
  });
});
