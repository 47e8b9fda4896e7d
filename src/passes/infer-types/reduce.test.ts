import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { int64Tensor } from '../../ir/tensor/values.js';
import { formatType } from '../../ir/types.js';
import { checkAgainstOrt } from '../../../test/helpers/ort-agreement.js';

const F = DataType.FLOAT;
const OPS = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];

describe('reduction types agree with onnxruntime', () => {
  for (const opset of [9, 11, 13, 17, 18, 21]) {
    it(`all reductions, attribute or input axes, at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const x = b.input('x', F, [2, 3, 4, 5]);
      for (const op of OPS) {
        const inputForm = opset >= (op === 'ReduceSum' ? 13 : 18);
        const axes = opset >= 11 ? [1, -1] : [1, 3];
        if (inputForm) {
          b.op(op, [x, b.initializer(`${op}_axes`, int64Tensor([2], axes))]);
          b.op(op, [x, b.initializer(`${op}_ax2`, int64Tensor([1], [2]))], { attributes: { keepdims: attr.int(0) } });
          b.op(op, [x], { attributes: { noop_with_empty_axes: attr.int(1) } });
        } else {
          b.op(op, [x], { attributes: { axes: attr.ints(axes) } });
          b.op(op, [x], { attributes: { axes: attr.ints([2]), keepdims: attr.int(0) } });
        }
        b.op(op, [x], { attributes: { keepdims: attr.int(0) } });
      }
      b.op('ArgMax', [x], { attributes: { axis: attr.int(2) } });
      b.op('ArgMin', [x], { attributes: { axis: attr.int(opset >= 11 ? -1 : 3), keepdims: attr.int(0) } });
      const { compared } = await checkAgainstOrt(b.model);
      expect(compared).toBeGreaterThanOrEqual(30);
    });
  }

  it('keeps the rank when the axes are not known but keepdims is on', async () => {
    const b = new GraphBuilder(18);
    const x = b.input('x', F, [2, 1, 4]);
    const y = b.op('ReduceMean', [x, b.input('axes', DataType.INT64, [1])]);
    b.output(y);
    await checkAgainstOrt(b.model, { allowDynamic: [y.name], feeds: { axes: { dtype: DataType.INT64, dims: [1], data: BigInt64Array.from([2n]) } } });
    expect(formatType(y.type)).toBe('float32[?,1,?]');
  });
});
