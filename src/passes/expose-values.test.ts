import { describe, expect, it } from 'vitest';
import { attr } from '../ir/attribute.js';
import { GraphBuilder } from '../ir/builder.js';
import { DataType } from '../ir/dtype.js';
import { Graph } from '../ir/graph.js';
import { Node } from '../ir/node.js';
import { Value } from '../ir/value.js';
import { float32Tensor, int64Tensor } from '../ir/tensor/values.js';
import { checkModel } from '../ir/checker.js';
import { encodeModel } from '../serde/encode.js';
import { exposeValues } from './expose-values.js';
import { runOnce } from '../../test/helpers/ort.js';

describe('exposeValues', () => {
  it('reads a value from inside an If branch', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', DataType.FLOAT, [3]);
    const cond = b.input('cond', DataType.BOOL, []);
    const branch = (name: string, factor: number) => {
      const g = new Graph(name);
      const k = g.addInitializer(`${name}_k`, float32Tensor([], [factor]));
      const mul = new Node({ opType: 'Mul', name: `${name}_mul`, inputs: [x, k], outputs: [`${name}_scaled`] });
      const neg = new Node({ opType: 'Neg', name: `${name}_neg`, inputs: [mul.output()], outputs: [`${name}_out`] });
      g.appendNode(mul);
      g.appendNode(neg);
      mul.output().type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [3] };
      neg.output().type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [3] };
      g.outputs = [neg.output()];
      return g;
    };
    b.output(b.op('If', [cond], { attributes: { then_branch: attr.graph(branch('then', 2)), else_branch: attr.graph(branch('else', 10)) } }), DataType.FLOAT, [3]);
    const names = exposeValues(b.model, ['then_scaled', 'else_scaled']);
    expect(checkModel(b.model)).toEqual([]);
    const feeds = (c: boolean) => ({ x: { dtype: DataType.FLOAT, dims: [3], data: new Float32Array([1, -2, 3]) }, cond: { dtype: DataType.BOOL, dims: [], data: new Uint8Array([c ? 1 : 0]) } });
    const whenTrue = await runOnce(encodeModel(b.model), feeds(true));
    expect(Array.from(whenTrue[names.get('then_scaled')!]!.data as Float32Array)).toEqual([2, -4, 6]);
    expect(whenTrue[names.get('else_scaled')!]!.dims).toEqual([0]); // the branch not taken gives an empty tensor
    const whenFalse = await runOnce(encodeModel(b.model), feeds(false));
    expect(Array.from(whenFalse[names.get('else_scaled')!]!.data as Float32Array)).toEqual([10, -20, 30]);
  });

  it('reads a value from every iteration of a Loop body', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', DataType.FLOAT, [2]);
    const body = new Graph('body');
    const iter = new Value('i', { kind: 'tensor', elemType: DataType.INT64, shape: [] });
    const condIn = new Value('cond_in', { kind: 'tensor', elemType: DataType.BOOL, shape: [] });
    const acc = new Value('acc', { kind: 'tensor', elemType: DataType.FLOAT, shape: [2] });
    for (const v of [iter, condIn, acc]) v.graph = body;
    body.inputs = [iter, condIn, acc];
    const doubled = new Node({ opType: 'Add', name: 'double', inputs: [acc, acc], outputs: ['doubled'] });
    const keep = new Node({ opType: 'Identity', name: 'keep', inputs: [condIn], outputs: ['cond_out'] });
    body.appendNode(doubled);
    body.appendNode(keep);
    doubled.output().type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [2] };
    keep.output().type = { kind: 'tensor', elemType: DataType.BOOL, shape: [] };
    body.outputs = [keep.output(), doubled.output()];
    const trip = b.initializer('trip', int64Tensor([], [3]));
    b.output(b.op('Loop', [trip, null, x], { attributes: { body: attr.graph(body) } }), DataType.FLOAT, [2]);
    const names = exposeValues(b.model, ['doubled']);
    const out = await runOnce(encodeModel(b.model), { x: { dtype: DataType.FLOAT, dims: [2], data: new Float32Array([1, 5]) } });
    const stacked = out[names.get('doubled')!]!;
    expect(stacked.dims).toEqual([3, 2]);
    expect(Array.from(stacked.data as Float32Array)).toEqual([2, 10, 4, 20, 8, 40]);
  });
});
