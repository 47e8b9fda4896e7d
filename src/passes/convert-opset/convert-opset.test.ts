import { describe, expect, it } from 'vitest';
import { PassError } from '../../errors.js';
import { AttrType, attr, type AttributeValue } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { Graph } from '../../ir/graph.js';
import { Node } from '../../ir/node.js';
import { tensorType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { decodeModel } from '../../serde/decode.js';
import { encodeModel } from '../../serde/encode.js';
import { runPasses } from '../pass.js';
import { convertOpset, convertOpsetPass } from './convert-opset.js';
import { expectEquivalent, expectRefused, floatFeed, int64Feed } from '../../../test/helpers/opset-equivalence.js';

/** A subgraph whose nodes are added by `fill`, which returns the graph's outputs. */
function subgraph(b: GraphBuilder, name: string, fill: (add: (op: string, inputs: Value[], attributes?: Record<string, AttributeValue>) => Value, sub: Graph) => Value[]): Graph {
  const sub = new Graph(name);
  const add = (op: string, inputs: Value[], attributes: Record<string, AttributeValue> = {}) => {
    const node = new Node({ opType: op, name: b.model.freshName(op), inputs, outputs: [b.model.freshName(`${name}_${op}`)], attributes });
    sub.appendNode(node);
    return node.output();
  };
  sub.outputs = fill(add, sub);
  for (const out of sub.outputs) out.type ??= tensorType(DataType.FLOAT);
  return sub;
}

describe('convertOpset', () => {
  it('sets the opset and raises the IR version the target needs, never lowering it', () => {
    const cases: [from: number, ir: number, target: number, expectedIr: number][] = [
      [9, 4, 13, 7],
      [9, 4, 21, 10],
      [11, 8, 13, 8],
      [13, 7, 19, 9],
    ];
    for (const [from, ir, target, expectedIr] of cases) {
      const b = new GraphBuilder(from);
      b.model.irVersion = ir;
      b.output(b.op('Relu', [b.input('x', DataType.FLOAT, [2])]));
      const result = convertOpset(b.model, target);
      expect([result.modified, result.converted, b.model.opset(''), b.model.irVersion]).toEqual([true, 0, target, expectedIr]);
    }
  });

  it('reports no change when the model is already at the target', () => {
    const b = new GraphBuilder(13);
    b.output(b.op('Softmax', [b.input('x', DataType.FLOAT, [2, 3])]));
    expect(convertOpset(b.model, 13)).toMatchObject({ modified: false, converted: 0 });
  });

  it('leaves nodes of other domains alone', () => {
    const b = new GraphBuilder(11, { 'com.microsoft': 1 });
    const x = b.input('x', DataType.FLOAT, [2]);
    b.output(b.op('Gelu', [x], { domain: 'com.microsoft', attributes: { axes: attr.ints([0]) } }));
    convertOpset(b.model, 21);
    expect([...b.model.graph.nodes][0]!.attrInts('axes')).toEqual([0]);
    expect(b.model.opset('com.microsoft')).toBe(1);
  });

  it('converts nodes inside If branches and Loop bodies', async () => {
    await expectEquivalent({
      from: 11,
      feeds: { x: floatFeed([2, 1, 3], 1), cond: { dtype: DataType.BOOL, dims: [], data: Uint8Array.of(1) }, trips: int64Feed([], [3]) },
      tolerance: 1e-6,
      build(b) {
        const x = b.input('x', DataType.FLOAT, [2, 1, 3]);
        const cond = b.input('cond', DataType.BOOL, []);
        const trips = b.input('trips', DataType.INT64, []);
        const thenBranch = subgraph(b, 'then', (add) => [add('Softmax', [add('Squeeze', [x], { axes: attr.ints([1]) })], { axis: attr.int(0) })]);
        const elseBranch = subgraph(b, 'else', (add) => [add('ReduceSum', [x], { axes: attr.ints([1]), keepdims: attr.int(0) })]);
        b.output(b.op('If', [cond], { outputs: ['chosen'], attributes: { then_branch: attr.graph(thenBranch), else_branch: attr.graph(elseBranch) } }), DataType.FLOAT);

        const body = subgraph(b, 'body', (add, sub) => {
          const iteration = sub.addInput(b.model.freshName('i'), tensorType(DataType.INT64, []));
          const keepGoing = sub.addInput(b.model.freshName('cond_in'), tensorType(DataType.BOOL, []));
          const carried = sub.addInput(b.model.freshName('acc'), tensorType(DataType.FLOAT, [2, 1, 3]));
          void iteration;
          const next = add('Add', [carried, add('Unsqueeze', [add('Squeeze', [x], { axes: attr.ints([1]) })], { axes: attr.ints([1]) })]);
          return [add('Identity', [keepGoing]), next];
        });
        body.outputs[0]!.type = tensorType(DataType.BOOL, []);
        b.output(b.op('Loop', [trips, null, x], { outputs: ['looped'], attributes: { body: attr.graph(body) } }), DataType.FLOAT);
      },
    });
  });

  it('converts model-local function bodies that import ai.onnx', async () => {
    const models = await expectEquivalent({
      from: 11,
      feeds: { x: floatFeed([2, 1, 4], 2) },
      tolerance: 1e-6,
      build(b) {
        const body = new Graph('Squash');
        const input = body.addInput('X');
        // 'sq_axes' is what the converter would name the new axes constant; the body already uses it.
        const squeeze = new Node({ opType: 'Squeeze', name: 'sq', inputs: [input], outputs: ['sq_axes'], attributes: { axes: attr.ints([1]) } });
        body.appendNode(squeeze);
        const softmax = new Node({ opType: 'Softmax', name: 'sm', inputs: [squeeze.output()], outputs: ['Y'], attributes: { axis: attr.int(0) } });
        body.appendNode(softmax);
        body.outputs = [softmax.output()];
        b.model.functions.push({ name: 'Squash', domain: 'lowbit.test', overload: '', attributeNames: [], attributeDefaults: [], opsetImports: new Map([['', 11]]), body, docString: '', metadataProps: [] });
        b.model.opsetImports.set('lowbit.test', 1);
        b.output(b.op('Squash', [b.input('x', DataType.FLOAT, [2, 1, 4])], { domain: 'lowbit.test', outputs: ['y'] }), DataType.FLOAT);
      },
    });
    for (const model of models.values()) {
      const fn = model.functions[0]!;
      expect(fn.opsetImports.get('')).toBe(model.opset(''));
      const ops = [...fn.body.nodes].map((n) => n.opType);
      // No initializers in function bodies: constants are Constant nodes.
      expect(ops).toEqual(['Constant', 'Squeeze', 'Shape', 'Flatten', 'Softmax', 'Reshape']);
      expect(fn.body.initializers.size).toBe(0);
      const names = [...fn.body.nodes].flatMap((n) => n.outputs.map((o) => o!.name));
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('refuses function nodes whose converted attributes refer to the caller', () => {
    const b = new GraphBuilder(11, { 'lowbit.test': 1 });
    const body = new Graph('Pick');
    const input = body.addInput('X');
    const squeeze = new Node({ opType: 'Squeeze', name: 'sq', inputs: [input], outputs: ['Y'] });
    squeeze.attributes.set('axes', { name: 'axes', type: AttrType.INTS, value: [], refAttrName: 'which' });
    body.appendNode(squeeze);
    body.outputs = [squeeze.output()];
    b.model.functions.push({ name: 'Pick', domain: 'lowbit.test', overload: '', attributeNames: ['which'], attributeDefaults: [], opsetImports: new Map([['', 11]]), body, docString: '', metadataProps: [] });
    expect(() => convertOpset(b.model, 13)).toThrow(/Squeeze 'sq' in function lowbit.test.Pick .*refer to the calling node/);
  });

  it('refuses ops that are not ai.onnx, ops newer than the source opset and unhandled changes', () => {
    expectRefused(9, (b) => b.output(b.op('ImageScaler', [b.input('x', DataType.FLOAT, [1, 3, 2, 2])], { name: 'scaler' })), 13, /ImageScaler 'scaler' from ai.onnx opset 9 to 13: ImageScaler is not an ai.onnx operator/);
    expectRefused(9, (b) => b.output(b.op('Resize', [b.input('x', DataType.FLOAT, [1, 1, 2, 2]), b.input('s', DataType.FLOAT, [4])])), 13, /Resize does not exist before opset 10/);
    expectRefused(
      8,
      (b) => {
        const body = subgraph(b, 'scan_body', (add, sub) => [add('Identity', [sub.addInput(b.model.freshName('s'), tensorType(DataType.FLOAT, [2]))])]);
        b.output(b.op('Scan', [null, b.input('seq', DataType.FLOAT, [1, 3, 2])], { attributes: { body: attr.graph(body), num_scan_inputs: attr.int(1) } }));
      },
      13,
      /Scan changed at opset 9: Scan-8 has a batch axis/,
    );
    expectRefused(18, (b) => {
      const x = b.input('x', DataType.FLOAT, [1, 4, 2]);
      b.output(b.op('GroupNormalization', [x, b.input('s', DataType.FLOAT, [2]), b.input('b', DataType.FLOAT, [2])], { attributes: { num_groups: attr.int(2) } }));
    }, 21, /GroupNormalization changed at opset 21: .*per channel instead of per group/);
  });

  it('names every refused node in one error and changes nothing', () => {
    const error = expectRefused(
      9,
      (b) => {
        const x = b.input('x', DataType.FLOAT, [1, 1, 4, 4]);
        for (const name of ['a', 'b', 'c']) b.output(b.op('Resize', [x, b.input(`s_${name}`, DataType.FLOAT, [4])], { name }));
        b.output(b.op('Squeeze', [x], { attributes: { axes: attr.ints([0]) } }));
      },
      13,
      /Resize 'a' .* \(and 2 more: Resize 'b' .*; Resize 'c'/,
    );
    expect([error.node, error.opType]).toEqual(['a', 'Resize']);
  });

  it('refuses downgrades and targets outside 7 to 21', () => {
    const b = new GraphBuilder(17);
    b.output(b.op('Relu', [b.input('x', DataType.FLOAT, [2])]));
    expect(() => convertOpset(b.model, 13)).toThrow(expect.objectContaining({ code: 'opset-downgrade' }));
    expect(() => convertOpset(b.model, 22)).toThrow(expect.objectContaining({ code: 'opset-target' }));
    expect(() => convertOpset(b.model, 6)).toThrow(PassError);
  });

  it('refuses ai.onnx nodes in a model that imports no ai.onnx opset', () => {
    const b = new GraphBuilder(13);
    b.model.opsetImports.delete('');
    b.output(b.op('Relu', [b.input('x', DataType.FLOAT, [2])]));
    expect(() => convertOpset(b.model, 13)).toThrow(/the model uses ai.onnx operators but imports no ai.onnx opset/);
  });

  it('refuses models older than opset 7', () => {
    expectRefused(6, (b) => b.output(b.op('Relu', [b.input('x', DataType.FLOAT, [2])])), 13, /opset 6 is older than 7/);
  });

  it('writes the same bytes for the same model', () => {
    const build = () => {
      const b = new GraphBuilder(9);
      const x = b.input('x', DataType.FLOAT, [1, 3, 4]);
      const clipped = b.op('Clip', [x], { attributes: { min: attr.float(0), max: attr.float(6) } });
      const sliced = b.op('Slice', [clipped], { attributes: { starts: attr.ints([1]), ends: attr.ints([3]), axes: attr.ints([1]) } });
      b.output(b.op('Softmax', [b.op('Squeeze', [sliced], { attributes: { axes: attr.ints([0]) } })]));
      return b.model;
    };
    const first = build();
    const second = decodeModel(encodeModel(build()));
    convertOpset(first, 21);
    convertOpset(second, 21);
    expect(encodeModel(second)).toEqual(encodeModel(first));
  });

  it('runs as a named pass under the checker', () => {
    const b = new GraphBuilder(10);
    const x = b.input('x', DataType.FLOAT, [2, 3]);
    b.output(b.op('Unsqueeze', [x], { attributes: { axes: attr.ints([0]) } }));
    const pass = convertOpsetPass(13);
    expect(pass.name).toBe('convert-opset');
    expect(runPasses(b.model, [pass], { check: true }).modified).toBe(true);
    expect(b.model.opset('')).toBe(13);
  });
});
