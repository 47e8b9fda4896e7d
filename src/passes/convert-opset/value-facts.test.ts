import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { tensorType } from '../../ir/types.js';
import { expectEquivalent, floatFeed, floatTensor, opTypes } from '../../../test/helpers/opset-equivalence.js';
import { ValueFacts } from './value-facts.js';

const int64s = (values: number[]) => DenseTensor.fromTyped(DataType.INT64, [values.length], BigInt64Array.from(values, BigInt));

describe('ValueFacts', () => {
  it('follows ranks and element types through shape-keeping, broadcasting and reshaping ops', () => {
    const b = new GraphBuilder(9);
    const x = b.input('x', DataType.FLOAT, ['n', 3, 8, 8]);
    const conv = b.op('Conv', [x, b.initializer('w', floatTensor([4, 3, 3, 3], 1))]);
    const bias = b.op('Add', [conv, b.initializer('bias', floatTensor([4, 1, 1], 2))]);
    const pooled = b.op('GlobalAveragePool', [b.op('Clip', [bias], { attributes: { min: attr.float(0) } })]);
    const flat = b.op('Flatten', [pooled]);
    const gathered = b.op('Gather', [b.initializer('table', floatTensor([10, 4], 3)), b.input('ids', DataType.INT64, [2, 5])]);
    const squeezed = b.op('Squeeze', [pooled], { attributes: { axes: attr.ints([2, 3]) } });
    const reduced = b.op('ReduceMean', [conv], { attributes: { axes: attr.ints([-1, -2]), keepdims: attr.int(0) } });
    const unknown = b.input('u', DataType.FLOAT, []);
    unknown.type = tensorType(DataType.FLOAT);
    const mixed = b.op('Mul', [unknown, conv]);
    const isBig = b.op('Greater', [conv, b.initializer('zero', floatTensor([], 4))]);

    const facts = new ValueFacts([b.graph]);
    const rank = (v: typeof x) => facts.rank(v);
    expect([conv, bias, pooled, flat, gathered, squeezed, reduced, mixed, isBig].map(rank)).toEqual([4, 4, 4, 2, 3, 2, 2, undefined, 4]);
    expect([bias, flat, gathered, isBig].map((v) => facts.elemType(v))).toEqual([DataType.FLOAT, DataType.FLOAT, DataType.FLOAT, DataType.BOOL]);
  });

  it('knows the rank of a Reshape whose shape is computed from Shape, Slice, Cast and Concat', () => {
    const b = new GraphBuilder(9);
    const x = b.input('x', DataType.FLOAT, ['n', 'c', 'h', 'w']);
    const dims = b.op('Cast', [b.op('Shape', [x])], { attributes: { to: attr.int(DataType.INT32) } });
    const batch = b.op('Cast', [b.op('Slice', [dims], { attributes: { starts: attr.ints([0]), ends: attr.ints([1]), axes: attr.ints([0]) } })], { attributes: { to: attr.int(DataType.INT64) } });
    const shape = b.op('Concat', [batch, b.initializer('rest', int64s([-1, 4, 2]))], { attributes: { axis: attr.int(0) } });
    const reshaped = b.op('Reshape', [x, shape]);
    const facts = new ValueFacts([b.graph]);
    expect([facts.length(dims), facts.length(batch), facts.length(shape), facts.rank(reshaped)]).toEqual([4, 1, 4, 4]);
  });

  it('lets a PaddleOCR-style Softmax after a computed Reshape keep its node', async () => {
    const models = await expectEquivalent({
      from: 9,
      feeds: { x: floatFeed([2, 6, 4], 5) },
      build(b) {
        const x = b.input('x', DataType.FLOAT, ['n', 6, 4]);
        const batch = b.op('Slice', [b.op('Shape', [x])], { attributes: { starts: attr.ints([0]), ends: attr.ints([1]) } });
        const shape = b.op('Concat', [batch, b.initializer('rest', int64s([2, 3, 4]))], { attributes: { axis: attr.int(0) } });
        const scores = b.op('MatMul', [b.op('Reshape', [x, shape]), b.initializer('w', floatTensor([4, 4], 6))]);
        b.output(b.op('Softmax', [scores], { outputs: ['y'], attributes: { axis: attr.int(3) } }), DataType.FLOAT);
      },
    });
    for (const model of models.values()) expect(opTypes(model)).toEqual(['Shape', 'Slice', 'Concat', 'Reshape', 'MatMul', 'Softmax']);
  });
});
