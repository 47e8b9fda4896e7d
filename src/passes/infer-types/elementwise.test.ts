import { describe, expect, it } from 'vitest';
import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { float32Tensor } from '../../ir/tensor/values.js';
import { formatType } from '../../ir/types.js';
import { inferTypes } from './infer-types.js';
import { checkAgainstOrt } from '../../../test/helpers/ort-agreement.js';

const F = DataType.FLOAT;

describe('elementwise types agree with onnxruntime', () => {
  for (const opset of [9, 13, 17, 21]) {
    it(`unary, broadcasting, comparisons and Where at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const x = b.input('x', F, [2, 3, 4]);
      const y = b.input('y', F, [3, 1]);
      const r = b.op('Relu', [x]);
      const s = b.op('Sigmoid', [b.op('Neg', [r])]);
      const sum = b.op('Add', [s, y]);
      const prod = b.op('Mul', [sum, b.initializer('k', float32Tensor([4], [1, 2, 3, 4]))]);
      const less = b.op('Less', [prod, y]);
      const picked = b.op('Where', [less, prod, y]);
      b.op('Pow', [picked, b.initializer('two', float32Tensor([], [2]))]);
      b.op('Max', [x, y, sum]);
      b.op('Sum', [y, y]);
      b.op('Not', [less]);
      b.op('And', [less, b.op('Greater', [x, y])]);
      b.op('IsNaN', [x]);
      b.op('LeakyRelu', [x], { attributes: { alpha: attr.float(0.2) } });
      b.op('Softmax', [x], { attributes: { axis: attr.int(opset >= 13 ? -1 : 1) } });
      b.op('Clip', [x]);
      b.op('Erf', [x]);
      b.node('Dropout', [x], { outputCount: opset >= 12 ? 2 : 1 });
      b.output(picked);
      const { compared } = await checkAgainstOrt(b.model);
      expect(compared).toBeGreaterThan(15);
    });
  }

  it('keeps symbolic dims through broadcasting and unary ops', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, ['batch', 'seq', 8]);
    const bias = b.initializer('bias', float32Tensor([8], new Array(8).fill(1)));
    const y = b.op('Tanh', [b.op('Add', [x, bias])]);
    const z = b.op('Mul', [y, b.input('mask', F, ['batch', 1, 1])]);
    b.output(z);
    await checkAgainstOrt(b.model, { symbols: { batch: 3, seq: 5 } });
    expect(formatType(z.type)).toBe('float32[batch,seq,8]');
  });

  it('never replaces a declared dtype, and reports the conflict', () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [2]);
    const y = b.op('Relu', [x]);
    y.type = { kind: 'tensor', elemType: DataType.DOUBLE, shape: [null] };
    const result = inferTypes(b.model);
    expect(formatType(y.type)).toBe('float64[2]');
    expect(result.conflicts.map((d) => d.code)).toEqual(['type-conflict']);
  });

  it('lists a value it cannot type, with the reason', () => {
    const b = new GraphBuilder(17, { 'ai.example': 1 });
    const x = b.input('x', F, [2]);
    const custom = b.op('Mystery', [x], { domain: 'ai.example' });
    const after = b.op('Relu', [custom]);
    const result = inferTypes(b.model);
    expect(custom.type).toBeUndefined();
    expect(after.type).toBeUndefined();
    expect(result.unknown.map((d) => [d.code, d.value, d.reason])).toEqual([
      ['type-unknown', custom.name, 'no type rule for ai.example.Mystery'],
      ['type-unknown', after.name, `input 0 ('${custom.name}') has no known type`],
    ]);
  });
});
