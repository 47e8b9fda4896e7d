import { describe, expect, it } from 'vitest';
import { AttrType, attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { Graph } from '../../ir/graph.js';
import { Node } from '../../ir/node.js';
import { float32Tensor } from '../../ir/tensor/values.js';
import { formatType } from '../../ir/types.js';
import { decodeModel } from '../../serde/decode.js';
import { encodeModel } from '../../serde/encode.js';
import { runPasses } from '../pass.js';
import { inferTypes, inferTypesPass } from './infer-types.js';
import { supportedOperators } from './registry.js';
import { checkAgainstOrt } from '../../../test/helpers/ort-agreement.js';

const F = DataType.FLOAT;

describe('the inference engine', () => {
  it('types calls of model-local functions per call, resolving attribute references', async () => {
    const b = new GraphBuilder(17, { custom: 1 });
    const body = new Graph('AddLeaky');
    const a = body.addInput('a');
    const c = body.addInput('c');
    const sum = new Node({ opType: 'Add', name: 'fn_add', inputs: [a, c], outputs: ['fn_sum'] });
    const leaky = new Node({ opType: 'LeakyRelu', name: 'fn_leaky', inputs: [sum.output()], outputs: ['fn_out'] });
    leaky.attributes.set('alpha', { name: 'alpha', type: AttrType.FLOAT, value: 0, refAttrName: 'slope' });
    body.appendNode(sum);
    body.appendNode(leaky);
    body.outputs = [leaky.output()];
    b.model.functions.push({
      name: 'AddLeaky', domain: 'custom', overload: '', attributeNames: ['slope'], attributeDefaults: [],
      opsetImports: new Map([['', 17]]), body, docString: '', metadataProps: [],
    });
    const x = b.input('x', F, [2, 3]);
    const first = b.op('AddLeaky', [x, b.input('y', F, [3])], { domain: 'custom', attributes: { slope: attr.float(0.1) } });
    const second = b.op('AddLeaky', [b.input('z', F, [4, 1, 1]), first], { domain: 'custom', attributes: { slope: attr.float(0.2) } });
    b.output(second);
    await checkAgainstOrt(b.model);
    expect([formatType(first.type), formatType(second.type)]).toEqual(['float32[2,3]', 'float32[4,2,3]']);
    // The body is shared by both calls, so its own values stay untyped.
    expect(sum.output().type).toBeUndefined();
  });

  it('types nodes listed out of order', async () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [2, 3]);
    const late = new Node({ opType: 'Relu', name: 'late', inputs: [], outputs: ['late_out'] });
    b.model.graph.appendNode(late);
    const early = b.op('Transpose', [x]);
    late.appendInput(early);
    inferTypes(b.model);
    expect(formatType(late.output().type)).toBe('float32[3,2]');
  });

  it('refines unknown declared dims, keeps declared symbols and numbers, adds no value_info', () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, ['n', 3]);
    const y = b.op('Add', [x, b.initializer('k', float32Tensor([3], [1, 2, 3]))]);
    y.type = { kind: 'tensor', elemType: F, shape: [null, null] };
    b.model.graph.valueInfos.push(y);
    const z = b.op('Relu', [y]);
    z.type = { kind: 'tensor', elemType: F, shape: ['m', null] };
    const result = inferTypes(b.model);
    expect([formatType(y.type), formatType(z.type)]).toEqual(['float32[n,3]', 'float32[m,3]']);
    expect(b.model.graph.valueInfos).toEqual([y]);
    expect(result.conflicts).toEqual([]);
    expect(inferTypes(b.model).inferred).toBe(0);
  });

  it('with refresh, types a rewritten graph afresh', () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', F, [2, 3]);
    const t = b.op('Transpose', [x]);
    const r = b.op('Relu', [t]);
    inferTypes(b.model);
    expect(formatType(r.type)).toBe('float32[3,2]');
    r.producer()!.replaceInput(0, x);
    inferTypes(b.model, { refresh: true });
    expect(formatType(r.type)).toBe('float32[2,3]');
  });

  it('runs as a pass and survives a round trip through the file format', () => {
    const b = new GraphBuilder(13);
    const x = b.input('x', F, [1, 4]);
    b.output(b.op('Softmax', [b.op('MatMul', [x, b.initializer('w', float32Tensor([4, 2], new Array(8).fill(1)))])]));
    const model = decodeModel(encodeModel(b.model));
    const { modified, diagnostics } = runPasses(model, [inferTypesPass], { check: true });
    expect(modified).toBe(true);
    expect(diagnostics).toEqual([]);
    const matmulOut = [...model.graph.nodes][0]!.output();
    expect(formatType(matmulOut.type)).toBe('float32[1,2]');
  });

  it('has rules for the operators real exports use', () => {
    const ops = supportedOperators();
    for (const op of ['Conv', 'Resize', 'Loop', 'QuantizeLinear', 'com.microsoft.MatMulNBits', 'com.microsoft.GatherBlockQuantized']) expect(ops).toContain(op);
    expect(ops.length).toBeGreaterThan(180);
  });
});
