import { describe, expect, it } from 'vitest';
import { attr, type AttributeValue } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { Node } from '../../ir/node.js';
import { float32Tensor, int64Tensor } from '../../ir/tensor/values.js';
import { formatType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { inferTypes } from './infer-types.js';
import { checkAgainstOrt } from '../../../test/helpers/ort-agreement.js';

const F = DataType.FLOAT;

/** Append a node to a subgraph under model-unique names; returns its outputs. */
function add(model: Model, graph: Graph, opType: string, inputs: (Value | null)[], attributes: Record<string, AttributeValue> = {}, count = 1): Value[] {
  const name = model.freshName(`${graph.name}_${opType}`);
  const node = new Node({ opType, name, inputs, attributes, outputs: Array.from({ length: count }, (_, i) => model.freshName(`${name}_out${i}`)) });
  graph.appendNode(node);
  return node.outputs.map((o) => o!);
}

function constant(model: Model, graph: Graph, values: number[], dims: number[]): Value {
  return add(model, graph, 'Constant', [], { value: attr.tensor(float32Tensor(dims, values)) })[0]!;
}

describe('control flow types agree with onnxruntime', () => {
  for (const opset of [11, 13, 17, 21]) {
    it(`If merges its branches at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const x = b.input('x', F, [2, 3]);
      const cond = b.input('cond', DataType.BOOL, []);
      const thenBranch = new Graph('then');
      const elseBranch = new Graph('else');
      const same1 = add(b.model, thenBranch, 'Relu', [x])[0]!;
      const shaped1 = add(b.model, thenBranch, 'Add', [x, constant(b.model, thenBranch, [1], [])])[0]!;
      const same2 = add(b.model, elseBranch, 'Neg', [x])[0]!;
      const shaped2 = add(b.model, elseBranch, 'Transpose', [x])[0]!;
      thenBranch.outputs = [same1, shaped1];
      elseBranch.outputs = [same2, shaped2];
      const [same, shaped] = b.node('If', [cond], { outputCount: 2, attributes: { then_branch: attr.graph(thenBranch), else_branch: attr.graph(elseBranch) } });
      b.output(same!);
      b.output(shaped!);
      await checkAgainstOrt(b.model, { allowDynamic: [shaped!.name] });
      expect([formatType(same!.type), formatType(shaped!.type), formatType(shaped2.type)]).toEqual(['float32[2,3]', 'float32[?,?]', 'float32[3,2]']);
    });

    it(`Loop types its body, its carried values and its scan outputs at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const x = b.input('x', F, [2]);
      const body = new Graph('body');
      const iter = body.addInput(b.model.freshName('iter'));
      const condIn = body.addInput(b.model.freshName('cond_in'));
      const acc = body.addInput(b.model.freshName('acc'));
      const grow = body.addInput(b.model.freshName('grow'));
      const condOut = add(b.model, body, 'Identity', [condIn])[0]!;
      const accOut = add(b.model, body, 'Add', [acc, x])[0]!;
      const growOut = add(b.model, body, 'Concat', [grow, x], { axis: attr.int(0) })[0]!;
      const step = add(b.model, body, 'Cast', [iter], { to: attr.int(F) })[0]!;
      const scanOut = add(b.model, body, 'Mul', [acc, step])[0]!;
      body.outputs = [condOut, accOut, growOut, scanOut];
      const trips = b.initializer('trips', int64Tensor([], [3]));
      const init = b.initializer('init', float32Tensor([2], [0, 0]));
      const [finalAcc, finalGrow, scanned] = b.node('Loop', [trips, null, init, x], { outputCount: 3, attributes: { body: attr.graph(body) } });
      b.output(finalAcc!);
      await checkAgainstOrt(b.model, { allowDynamic: [finalGrow!.name] });
      expect([acc, grow, scanOut].map((v) => formatType(v.type))).toEqual(['float32[2]', 'float32[?]', 'float32[2]']);
      expect([finalAcc, finalGrow, scanned].map((v) => formatType(v!.type))).toEqual(['float32[2]', 'float32[?]', 'float32[3,2]']);
    });

    it(`Scan types states and stacked outputs at opset ${opset}`, async () => {
      const b = new GraphBuilder(opset);
      const xs = b.input('xs', F, [4, 2]);
      const body = new Graph('scan_body');
      const state = body.addInput(b.model.freshName('state'));
      const slice = body.addInput(b.model.freshName('x_t'));
      const next = add(b.model, body, 'Add', [state, slice])[0]!;
      const squared = add(b.model, body, 'Mul', [slice, slice])[0]!;
      body.outputs = [next, squared];
      const init = b.initializer('init', float32Tensor([2], [0, 0]));
      const [total, stacked] = b.node('Scan', [init, xs], {
        outputCount: 2,
        attributes: { body: attr.graph(body), num_scan_inputs: attr.int(1), scan_output_axes: attr.ints([1]) },
      });
      b.output(total!);
      await checkAgainstOrt(b.model);
      expect([formatType(slice.type), formatType(total!.type), formatType(stacked!.type)]).toEqual(['float32[2]', 'float32[2]', 'float32[2,4]']);
    });
  }

  it('reports unknown values inside a subgraph with its path', () => {
    const b = new GraphBuilder(17, { 'ai.example': 1 });
    const cond = b.input('cond', DataType.BOOL, []);
    const thenBranch = new Graph('then');
    const elseBranch = new Graph('else');
    const mystery = new Node({ opType: 'Mystery', domain: 'ai.example', name: 'm', outputs: ['m_out'] });
    thenBranch.appendNode(mystery);
    thenBranch.outputs = [mystery.output()];
    elseBranch.outputs = [add(b.model, elseBranch, 'Constant', [], { value: attr.tensor(float32Tensor([1], [1])) })[0]!];
    const out = b.op('If', [cond], { name: 'branch', attributes: { then_branch: attr.graph(thenBranch), else_branch: attr.graph(elseBranch) } });
    const result = inferTypes(b.model);
    expect(result.unknown.map((d) => [d.value, d.graph])).toEqual([['m_out', 'main/branch.then_branch']]);
    // The other branch still fixes the element type.
    expect(formatType(out.type)).toBe('float32[?]');
  });
});
