import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { float32Tensor, int64Tensor } from '../../ir/tensor/values.js';
import { checkAgainstOrt } from '../../../test/helpers/ort-agreement.js';

const F = DataType.FLOAT;
const ints = (b: GraphBuilder, name: string, values: number[]) => b.initializer(name, int64Tensor([values.length], values));
const scalar = (b: GraphBuilder, name: string, value: number) => b.initializer(name, int64Tensor([], [value]));
const floats = (b: GraphBuilder, name: string, values: number[]) => b.initializer(name, float32Tensor([values.length], values));

describe('shape operator types agree with onnxruntime', () => {
  for (const opset of [9, 11, 13, 17, 21]) {
    it(`reshaping ops at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const x = b.input('x', F, [2, 3, 4, 5]);
      b.op('Reshape', [x, ints(b, 'shape', [0, -1, 10])]);
      b.op('Reshape', [x, ints(b, 'shape2', [6, -1])]);
      b.op('Flatten', [x], { attributes: { axis: attr.int(2) } });
      b.op('Flatten', [x], { attributes: { axis: attr.int(0) } });
      b.op('Transpose', [x], { attributes: { perm: attr.ints([0, 2, 3, 1]) } });
      b.op('Transpose', [x]);
      const one = b.input('one', F, [2, 1, 4, 1]);
      if (opset < 13) {
        b.op('Squeeze', [one], { attributes: { axes: attr.ints([1, opset >= 11 ? -1 : 3]) } });
        b.op('Unsqueeze', [x], { attributes: { axes: attr.ints([0, opset >= 11 ? -1 : 5]) } });
      } else {
        b.op('Squeeze', [one, ints(b, 'sq', [1, -1])]);
        b.op('Unsqueeze', [x, ints(b, 'usq', [0, -1])]);
      }
      b.op('Squeeze', [one]);
      b.op('Expand', [b.input('e', F, [3, 1]), ints(b, 'es', [2, 1, 4])]);
      b.op('Tile', [x, ints(b, 'reps', [1, 2, 1, 3])]);
      await checkAgainstOrt(b.model);
    });

    it(`indexing, slicing, joining and padding at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const x = b.input('x', F, [4, 6, 8]);
      b.op('Gather', [x, b.initializer('gi', int64Tensor([2, 3], [0, 1, 2, 3, 0, 1]))], { attributes: { axis: attr.int(1) } });
      b.op('Gather', [x, scalar(b, 'g0', 2)]);
      if (opset >= 11) b.op('GatherElements', [x, b.initializer('ge', int64Tensor([4, 2, 8], new Array(64).fill(1)))], { attributes: { axis: attr.int(1) } });
      if (opset >= 11) b.op('GatherND', [x, b.initializer('gn', int64Tensor([3, 2], [0, 1, 1, 2, 3, 5]))]);
      if (opset >= 12) b.op('GatherND', [x, b.initializer('gnb', int64Tensor([4, 1], [0, 1, 2, 3]))], { attributes: { batch_dims: attr.int(1) } });
      if (opset < 10) {
        b.op('Slice', [x], { attributes: { starts: attr.ints([1, -3]), ends: attr.ints([3, 1000]), axes: attr.ints([0, 2]) } });
      } else {
        b.op('Slice', [x, ints(b, 'st', [1, -3]), ints(b, 'en', [3, 1000]), ints(b, 'ax', [0, 2])]);
        b.op('Slice', [x, ints(b, 'st2', [-1]), ints(b, 'en2', [-1000]), ints(b, 'ax2', [1]), ints(b, 'sp2', [-2])]);
        b.op('Slice', [x, ints(b, 'st3', [0, 0]), ints(b, 'en3', [9223372036854775807, 2])]);
      }
      b.op('Concat', [x, b.input('c', F, [4, 6, 3])], { attributes: { axis: attr.int(opset >= 11 ? -1 : 2) } });
      if (opset < 13) b.node('Split', [x], { outputCount: 2, attributes: { axis: attr.int(2), split: attr.ints([3, 5]) } });
      else b.node('Split', [x, ints(b, 'sp', [3, 5])], { outputCount: 2, attributes: { axis: attr.int(2) } });
      if (opset < 18) b.node('Split', [x], { outputCount: 3, attributes: { axis: attr.int(1) } });
      if (opset >= 18) b.node('Split', [x], { outputCount: 3, attributes: { axis: attr.int(2), num_outputs: attr.int(3) } });
      if (opset < 11) b.op('Pad', [x], { attributes: { pads: attr.ints([0, 1, 2, 1, 0, 3]) } });
      else b.op('Pad', [x, ints(b, 'pads', [0, 1, 2, 1, 0, 3])]);
      if (opset >= 18) b.op('Pad', [x, ints(b, 'pads2', [1, 2]), null, ints(b, 'pax', [-1])]);
      if (opset >= 11) b.op('ScatterND', [x, b.initializer('si', int64Tensor([1, 1], [0])), b.input('su', F, [1, 6, 8])]);
      b.op('OneHot', [b.initializer('oh', int64Tensor([2, 3], [0, 1, 2, 3, 4, 0])), scalar(b, 'depth', 5), floats(b, 'ohv', [0, 1])], { attributes: { axis: attr.int(1) } });
      b.node('TopK', opset < 10 ? [x] : [x, ints(b, 'k', [3])], { outputCount: 2, attributes: opset < 10 ? { k: attr.int(3) } : { axis: attr.int(1) } });
      b.op('Compress', [x, b.initializer('cond', new DenseTensor(DataType.BOOL, [6], Uint8Array.from([1, 0, 1, 1, 0, 0])))], { attributes: { axis: attr.int(1) } });
      await checkAgainstOrt(b.model);
    });

    it(`shape sources and resizing at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const x = b.input('x', F, [1, 3, 5, 7]);
      b.op('Shape', [x]);
      if (opset >= 15) b.op('Shape', [x], { attributes: { start: attr.int(1), end: attr.int(-1) } });
      b.op('Size', [x]);
      b.op('ConstantOfShape', [ints(b, 'cs', [2, 3])], { attributes: { value: attr.tensor(int64Tensor([1], [7])) } });
      if (opset >= 11) b.op('Range', [scalar(b, 'r0', 1), scalar(b, 'r1', 10), scalar(b, 'r2', 3)]);
      b.op('EyeLike', [b.input('sq', F, [3, 4])], { attributes: { dtype: attr.int(DataType.INT32) } });
      b.op('RandomNormalLike', [x]);
      const nonZero = b.op('NonZero', [b.input('nz', F, [2, 3])]);
      if (opset < 10) b.op('Upsample', [x, floats(b, 'us', [1, 1, 2, 1.5])]);
      else if (opset === 10) b.op('Resize', [x, floats(b, 'rs', [1, 1, 2, 1.5])]);
      else {
        const empty = b.initializer('roi', float32Tensor([0], []));
        b.op('Resize', [x, empty, floats(b, 'rs', [1, 1, 0.5, 2.3])]);
        b.op('Resize', [x, empty, b.initializer('nosc', float32Tensor([0], [])), ints(b, 'rsz', [1, 3, 9, 4])]);
      }
      if (opset >= 17) b.op('HannWindow', [b.initializer('wsize', int64Tensor([], [10]))]);
      if (opset >= 18) {
        b.op('Resize', [x, null, null, ints(b, 'rsz2', [10, 10])], { attributes: { axes: attr.ints([2, 3]), keep_aspect_ratio_policy: attr.string('not_larger') } });
        b.op('Resize', [x, null, floats(b, 'rs3', [3])], { attributes: { axes: attr.ints([-1]) } });
      }
      // NonZero's count of elements depends on the data: [2, ?] is all a type can say.
      await checkAgainstOrt(b.model, { allowDynamic: [nonZero.name] });
    });
  }

  it('types a shape input of unknown contents by its length alone', async () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', F, [2, 3]);
    const y = b.op('Reshape', [x, b.input('target', DataType.INT64, [3])]);
    const z = b.op('ConstantOfShape', [b.input('dims', DataType.INT64, [2])]);
    b.output(y);
    b.output(z);
    const feeds = {
      target: { dtype: DataType.INT64, dims: [3], data: BigInt64Array.from([3n, 1n, 2n]) },
      dims: { dtype: DataType.INT64, dims: [2], data: BigInt64Array.from([4n, 5n]) },
    };
    await checkAgainstOrt(b.model, { allowDynamic: [y.name, z.name], feeds });
    expect(y.type).toEqual({ kind: 'tensor', elemType: F, shape: [null, null, null] });
    expect(z.type).toEqual({ kind: 'tensor', elemType: F, shape: [null, null] });
  });
});
