// The op policy checked against onnxruntime itself: one-op float32 models go through the fp16
// pass and must load (default optimizations) and run; ops the schema or onnxruntime refuse in
// float16 must come out kept in float32.
import { describe, expect, it } from 'vitest';
import { attr, type AttributeValue } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { float32Tensor, int64Tensor } from '../../ir/tensor/values.js';
import type { Value } from '../../ir/value.js';
import { createNodeRunner } from '../../runner/ort-node.js';
import { encodeModel } from '../../serde/encode.js';
import { convertToFloat16 } from './convert-to-float16.js';

const F = DataType.FLOAT;
type Make = (b: GraphBuilder, x: Value) => Value;

const unary = (op: string, attributes: Record<string, AttributeValue> = {}): Make => (b, x) => b.op(op, [x], { attributes });
const binary = (op: string): Make => (b, x) => b.op(op, [x, b.op('Abs', [x])]);
const constant = (b: GraphBuilder, name: string, values: number[], dims = [values.length]) => b.initializer(name, float32Tensor(dims, values));

/** Ops that compute in float16 after conversion. x is [1, 4, 4, 4]. */
const HALF: Record<string, Make> = {
  ...Object.fromEntries(['Relu', 'Sigmoid', 'Tanh', 'Exp', 'Abs', 'Neg', 'Erf', 'Softplus', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Elu', 'Softmax', 'LogSoftmax', 'Floor', 'Round', 'Reciprocal', 'Sin', 'Sign', 'GlobalAveragePool', 'Transpose', 'Flatten', 'Hardmax', 'IsNaN', 'MeanVarianceNormalization'].map((op) => [op, unary(op)])),
  ...Object.fromEntries(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mean', 'Sum', 'PRelu', 'MatMul'].map((op) => [op, binary(op)])),
  Conv: (b, x) => b.op('Conv', [x, constant(b, 'w', new Array(16).fill(0.25), [4, 4, 1, 1]), constant(b, 'bias', [1, 2, 3, 4])]),
  ConvTranspose: (b, x) => b.op('ConvTranspose', [x, constant(b, 'w', new Array(16).fill(0.25), [4, 4, 1, 1])]),
  MaxPool: unary('MaxPool', { kernel_shape: attr.ints([2, 2]) }),
  AveragePool: unary('AveragePool', { kernel_shape: attr.ints([2, 2]) }),
  BatchNormalization: (b, x) => b.op('BatchNormalization', [x, constant(b, 's', [1, 2, 3, 4]), constant(b, 'o', [0, 0, 1, 1]), constant(b, 'm', [0, 0, 0, 0]), constant(b, 'v', [1, 1, 1, 1])]),
  InstanceNormalization: (b, x) => b.op('InstanceNormalization', [x, constant(b, 's', [1, 2, 3, 4]), constant(b, 'o', [0, 0, 1, 1])]),
  LayerNormalization: (b, x) => b.op('LayerNormalization', [x, constant(b, 's', [1, 2, 3, 4]), constant(b, 'o', [0, 0, 1, 1])]),
  Clip: (b, x) => b.op('Clip', [x, constant(b, 'lo', [0], []), constant(b, 'hi', [0.5], [])]),
  Resize: (b, x) => b.op('Resize', [x, null, constant(b, 'scales', [1, 1, 2, 2])], { attributes: { mode: attr.string('linear') } }),
  ReduceMean: unary('ReduceMean', { axes: attr.ints([1]) }),
  ReduceSum: (b, x) => b.op('ReduceSum', [x, b.initializer('axes', int64Tensor([1], [1]))]),
  TopK: (b, x) => b.op('TopK', [x, b.initializer('k', int64Tensor([1], [2]))], { outputCount: 2 }),
  Einsum: (b, x) => b.op('Einsum', [x, x], { attributes: { equation: attr.string('bcij,bcjk->bcik') } }),
  Where: (b, x) => b.op('Where', [b.op('Greater', [x, constant(b, 't', [0.5], [])]), x, b.op('Neg', [x])]),
  Pad: (b, x) => b.op('Pad', [x, b.initializer('pads', int64Tensor([8], [0, 0, 1, 1, 0, 0, 1, 1]))]),
  Trilu: unary('Trilu'),
  LRN: unary('LRN', { size: attr.int(3) }),
};

/** Ops that must stay float32, with the code the pass gives. */
const KEPT: Record<string, [code: string, make: Make]> = {
  Range: ['fp16-unsupported', (b, x) => b.op('Add', [b.op('Range', [b.op('ReduceMin', [x], { attributes: { keepdims: attr.int(0) } }), constant(b, 'l', [4], []), constant(b, 'd', [1], [])]), constant(b, 'z', [0], [])])],
  Celu: ['fp16-unsupported', unary('Celu')],
  IsInf: ['fp16-unsupported', (b, x) => b.op('Where', [b.op('IsInf', [x]), x, b.op('Neg', [x])])],
  CumSum: ['fp16-precision', (b, x) => b.op('CumSum', [x, b.initializer('axis', int64Tensor([], [1]))])],
  RandomNormalLike: ['fp16-random', (b, x) => b.op('Add', [x, b.op('RandomNormalLike', [x])])],
};

async function loadsAndRuns(b: GraphBuilder, make: Make) {
  const x = b.input('x', F, [1, 4, 4, 4]);
  b.output(make(b, x));
  const result = convertToFloat16(b.model);
  const runner = await createNodeRunner(encodeModel(result.model));
  try {
    await runner.run({ x: { dtype: F, dims: [1, 4, 4, 4], data: Float32Array.from({ length: 64 }, (_, i) => i / 64) } });
  } finally {
    await runner.dispose();
  }
  return result;
}

describe('fp16 op policy in onnxruntime-node', () => {
  for (const [op, make] of Object.entries(HALF)) {
    it(`${op} runs in float16 and loads`, async () => {
      const result = await loadsAndRuns(new GraphBuilder(17), make);
      expect(result.keptFloat).toEqual([]);
      expect(result.converted).toBeGreaterThan(0);
    });
  }
  for (const [op, [code, make]] of Object.entries(KEPT)) {
    it(`${op} stays float32 (${code}) and the model loads`, async () => {
      const result = await loadsAndRuns(new GraphBuilder(17), make);
      expect(result.keptFloat.map((d) => [d.opType, d.code])).toContainEqual([op, code]);
    });
  }
});
