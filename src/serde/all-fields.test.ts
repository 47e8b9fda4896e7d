import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { AttrType, attr, encodeText } from '../ir/attribute.js';
import { GraphBuilder } from '../ir/builder.js';
import { DataType } from '../ir/dtype.js';
import { Graph } from '../ir/graph.js';
import { Node } from '../ir/node.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import { StringTensor } from '../ir/tensor/string.js';
import { float32Tensor, int64Tensor, toFloat32 } from '../ir/tensor/values.js';
import { Value } from '../ir/value.js';
import { checkModel } from '../ir/checker.js';
import { decodeModel } from './decode.js';
import { encodeModel, encodeModelProto } from './encode.js';

/** A model that sets every field of onnx.proto at least once. */
function everyFieldModel() {
  const b = new GraphBuilder(17, { 'com.example': 1, 'com.microsoft': 1 });
  const m = b.model;
  m.producerVersion = '9.9';
  m.domain = 'org.lowbit.test';
  m.modelVersion = 42n;
  m.docString = 'model doc';
  m.metadataProps = [['author', 'lowbit'], ['license', 'MIT']];
  m.configuration = [{ name: 'cfg', numDevices: 2, device: ['cpu:0', 'cpu:1'] }];
  const g = m.graph;
  g.docString = 'graph doc';
  g.metadataProps = [['graph-key', 'graph-value']];

  const x = b.input('x', DataType.FLOAT, ['batch', 4]);
  x.docString = 'the input';
  x.metadataProps = [['unit', 'volts']];
  x.type = { kind: 'tensor', elemType: DataType.FLOAT, shape: ['batch', 4], dimDenotations: ['DATA_BATCH', undefined], denotation: 'TENSOR' };
  const flag = b.input('flag', DataType.BOOL, []);

  // Payloads in every storage form.
  const w = b.initializer('w', float32Tensor([4, 4], Array.from({ length: 16 }, (_, i) => i / 7)));
  const typedF = new DenseTensor(DataType.FLOAT, [2], new Uint8Array(new Float32Array([1.5, -2]).buffer), {
    name: '',
    docString: 'typed float',
    metadataProps: [['k', 'v']],
    storage: 'typed',
    segment: { begin: 0n, end: 2n },
  });
  b.initializer('typed_float', typedF);
  b.initializer('typed_int8', new DenseTensor(DataType.INT8, [3], new Uint8Array([1, 255, 7]), { name: '', docString: '', metadataProps: [], storage: 'typed' }));
  b.initializer('typed_fp16', new DenseTensor(DataType.FLOAT16, [2], new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer), { name: '', docString: '', metadataProps: [], storage: 'typed' }));
  b.initializer('typed_int64', new DenseTensor(DataType.INT64, [2], new Uint8Array(new BigInt64Array([-1n, 0x7fffffffffffffffn]).buffer), { name: '', docString: '', metadataProps: [], storage: 'typed' }));
  b.initializer('typed_double', new DenseTensor(DataType.DOUBLE, [1], new Uint8Array(new Float64Array([Math.PI]).buffer), { name: '', docString: '', metadataProps: [], storage: 'typed' }));
  b.initializer('typed_uint64', new DenseTensor(DataType.UINT64, [1], new Uint8Array(new BigUint64Array([0xffffffffffffffffn]).buffer), { name: '', docString: '', metadataProps: [], storage: 'typed' }));
  b.initializer('typed_uint32', new DenseTensor(DataType.UINT32, [1], new Uint8Array(new Uint32Array([4000000000]).buffer), { name: '', docString: '', metadataProps: [], storage: 'typed' }));
  b.initializer('typed_int4', new DenseTensor(DataType.INT4, [3], new Uint8Array([0x21, 0x0f]), { name: '', docString: '', metadataProps: [], storage: 'typed' }));
  b.initializer('raw_int4', new DenseTensor(DataType.INT4, [3], new Uint8Array([0x87, 0x01])));
  b.initializer('raw_bf16', new DenseTensor(DataType.BFLOAT16, [1], new Uint8Array([0x80, 0x3f])));
  b.initializer('raw_f8', new DenseTensor(DataType.FLOAT8E4M3FN, [2], new Uint8Array([0x38, 0xb8])));
  b.initializer('strings', new StringTensor([2], [encodeText('héllo'), new Uint8Array([0xff, 0x00])]));
  const sparse = new Value('sparse_w', { kind: 'sparse_tensor', elemType: DataType.FLOAT, shape: [4, 4] });
  sparse.sparseInitializer = { values: float32Tensor([2], [1, 2]).withMeta({ name: 'sparse_w', docString: '', metadataProps: [], storage: 'raw' }), indices: int64Tensor([2], [0, 5]), dims: [4, 4] };
  sparse.graph = g;
  g.sparseInitializers.set('sparse_w', sparse);

  const mm = b.node('MatMul', [x, w], { name: 'mm' })[0]!;
  const mmNode = mm.producer()!;
  mmNode.docString = 'node doc';
  mmNode.metadataProps = [['origin', 'test']];
  mmNode.deviceConfigurations = [{ configurationId: 'cfg', shardingSpec: [{ tensorName: 'w', device: ['0', '1'], shardedDim: [{ axis: '1', simpleSharding: [{ dimValue: '4', numShards: '2' }] }] }], pipelineStage: 1 }];

  // Every attribute type on one custom-domain node (onnxruntime never sees this model).
  const thenGraph = new Graph('then_branch');
  const inner = new Node({ opType: 'Relu', name: 'then_relu', inputs: [mm], outputs: ['then_out'] }); // reads an outer value
  thenGraph.appendNode(inner);
  thenGraph.outputs = [inner.output()];
  inner.output().type = { kind: 'tensor', elemType: DataType.FLOAT };
  const elseGraph = new Graph('else_branch');
  const neg = new Node({ opType: 'Neg', name: 'else_neg', inputs: [mm], outputs: ['else_out'] });
  elseGraph.appendNode(neg);
  elseGraph.outputs = [neg.output()];
  neg.output().type = { kind: 'tensor', elemType: DataType.FLOAT };
  const ifOut = b.op('If', [flag], { name: 'branch', attributes: { then_branch: attr.graph(thenGraph), else_branch: attr.graph(elseGraph) } });

  const odd = b.node('Everything', [ifOut, null, mm], {
    domain: 'com.example',
    name: 'every_attr',
    outputCount: 2,
    attributes: {
      f: attr.float(0.1),
      i: attr.int(0x7fffffffffffffffn),
      s: { type: AttrType.STRING, value: new Uint8Array([0xc3, 0xa9, 0xff]) },
      t: attr.tensor(float32Tensor([2], [3, 4])),
      floats: attr.floats([1.25, -0.5]),
      ints: attr.ints([-1, 0, 3]),
      strings: attr.strings(['a', 'b']),
      tensors: { type: AttrType.TENSORS, value: [int64Tensor([1], [9])] },
      graphs: { type: AttrType.GRAPHS, value: [] },
      sparse: { type: AttrType.SPARSE_TENSOR, value: { values: float32Tensor([1], [7]), indices: int64Tensor([1], [2]), dims: [3] } },
      sparses: { type: AttrType.SPARSE_TENSORS, value: [{ values: float32Tensor([1], [8]), indices: int64Tensor([1], [0]), dims: [2] }] },
      tp: { type: AttrType.TYPE_PROTO, value: { kind: 'sequence', elem: { kind: 'tensor', elemType: DataType.INT32, shape: [null, 3] } } },
      tps: { type: AttrType.TYPE_PROTOS, value: [{ kind: 'map', keyType: DataType.INT64, value: { kind: 'tensor', elemType: DataType.FLOAT } }, { kind: 'optional', elem: { kind: 'unknown' } }] },
    },
  });
  odd[0]!.producer()!.attributes.get('f')!.docString = 'attribute doc';
  const fnOut = b.op('Twice', [odd[0]!], { domain: 'com.example', name: 'call_fn', attributes: { alpha: attr.float(2) } });
  b.output(fnOut, DataType.FLOAT, ['batch', 4]);
  b.output(odd[1]!, DataType.FLOAT, undefined);
  g.valueInfos = [mm];
  mm.type = { kind: 'tensor', elemType: DataType.FLOAT, shape: ['batch', 4] };
  g.quantizationAnnotations = [{ tensorName: 'w', params: [['SCALE_TENSOR', 's'], ['ZERO_POINT_TENSOR', 'z']] }];

  // A local function with a reference attribute and a default.
  const body = new Graph('Twice');
  const fx = new Value('fx');
  fx.graph = body;
  body.inputs = [fx];
  const scaleNode = new Node({ opType: 'Constant', name: 'c', outputs: ['alpha_t'], attributes: { value_float: { type: AttrType.UNDEFINED, value: undefined } } });
  scaleNode.attributes.get('value_float')!.refAttrName = 'alpha';
  body.appendNode(scaleNode);
  const mul = new Node({ opType: 'Mul', name: 'm', inputs: [fx, scaleNode.output()], outputs: ['fy'] });
  body.appendNode(mul);
  body.outputs = [mul.output()];
  body.valueInfos = [mul.output()];
  mul.output().type = { kind: 'tensor', elemType: DataType.FLOAT };
  m.functions = [
    {
      name: 'Twice',
      domain: 'com.example',
      overload: 'v1',
      attributeNames: ['beta'],
      attributeDefaults: [{ name: 'alpha', type: AttrType.FLOAT, value: 2 }],
      opsetImports: new Map([['', 17]]),
      body,
      docString: 'function doc',
      metadataProps: [['fn', 'meta']],
    },
  ];

  // Training info whose graphs read the main graph's initializer.
  const init = new Graph('training_init');
  const reset = new Node({ opType: 'Identity', name: 'reset_w', inputs: [w], outputs: ['w_reset'] });
  init.appendNode(reset);
  init.outputs = [reset.output()];
  m.trainingInfo = [{ initialization: init, initializationBinding: [['w', 'w_reset']], updateBinding: [] }];
  return m;
}

describe('every onnx.proto field', () => {
  it('survives decode → encode with identical bytes', () => {
    const model = everyFieldModel();
    const first = encodeModel(model);
    const decoded = decodeModel(first);
    const second = encodeModel(decoded);
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    expect(Buffer.from(toBinary(ModelProtoSchema, encodeModelProto(decoded))).equals(Buffer.from(first))).toBe(true);
    expect(checkModel(decoded).filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('keeps each field readable through the IR', () => {
    const m = decodeModel(encodeModel(everyFieldModel()));
    expect(m.modelVersion).toBe(42n);
    expect(m.metadataProps).toEqual([['author', 'lowbit'], ['license', 'MIT']]);
    expect(m.configuration).toEqual([{ name: 'cfg', numDevices: 2, device: ['cpu:0', 'cpu:1'] }]);
    const g = m.graph;
    expect(g.inputs[0]!.type).toEqual({ kind: 'tensor', elemType: DataType.FLOAT, shape: ['batch', 4], dimDenotations: ['DATA_BATCH', undefined], denotation: 'TENSOR' });
    expect(g.inputs[0]!.metadataProps).toEqual([['unit', 'volts']]);
    expect(g.initializers.get('typed_float')!.initializer!.meta).toMatchObject({ storage: 'typed', docString: 'typed float', segment: { begin: 0n, end: 2n } });
    expect(Array.from(toFloat32(g.initializers.get('typed_fp16')!.initializer!))).toEqual([1, -2]);
    expect(Array.from(g.initializers.get('typed_int4')!.initializer!.bytes())).toEqual([0x21, 0x0f]);
    expect(Array.from(g.initializers.get('typed_int64')!.initializer!.bytes())).toEqual(Array.from(new Uint8Array(new BigInt64Array([-1n, 0x7fffffffffffffffn]).buffer)));
    expect((g.initializers.get('strings')!.initializer as StringTensor).strings[1]).toEqual(new Uint8Array([0xff, 0x00]));
    expect(g.sparseInitializers.get('sparse_w')!.sparseInitializer!.dims).toEqual([4, 4]);
    const every = [...g.nodes].find((n) => n.name === 'every_attr')!;
    expect(every.inputs[1]).toBeNull();
    expect(every.getAttr('i')!.value).toBe(0x7fffffffffffffffn);
    expect(every.getAttr('f')!.docString).toBe('attribute doc');
    expect(every.getAttr('s')!.value).toEqual(new Uint8Array([0xc3, 0xa9, 0xff]));
    expect(every.getAttr('tps')!.value).toEqual([{ kind: 'map', keyType: DataType.INT64, value: { kind: 'tensor', elemType: DataType.FLOAT } }, { kind: 'optional', elem: { kind: 'unknown' } }]);
    const mmNode = [...g.nodes].find((n) => n.name === 'mm')!;
    expect(mmNode.deviceConfigurations).toHaveLength(1);
    // The If branches read 'mm' from the outer graph: an ordinary use of the outer Value.
    const mmOut = mmNode.output();
    const readers = mmOut.uses().map((u) => u.node.name).sort();
    expect(readers).toEqual(['else_neg', 'every_attr', 'then_relu']);
    expect([...g.nodes].find((n) => n.opType === 'If')!.subgraphs().map((s) => s.owner?.name)).toEqual(['branch', 'branch']);
    const fn = m.functions[0]!;
    expect(fn.overload).toBe('v1');
    expect(fn.body.nodes.first()!.getAttr('value_float')!.refAttrName).toBe('alpha');
    expect(m.trainingInfo[0]!.initialization!.nodes.first()!.input(0)).toBe(g.initializers.get('w'));
    expect(g.quantizationAnnotations[0]!.params).toEqual([['SCALE_TENSOR', 's'], ['ZERO_POINT_TENSOR', 'z']]);
  });

  it('writes typed-field tensors back in typed fields', () => {
    const proto = fromBinary(ModelProtoSchema, encodeModel(everyFieldModel()));
    const init = (name: string) => proto.graph!.initializer.find((t) => t.name === name)!;
    expect(init('typed_float').floatData).toEqual([1.5, -2]);
    expect(init('typed_int8').int32Data).toEqual([1, -1, 7]);
    expect(init('typed_fp16').int32Data).toEqual([0x3c00, 0xc000]);
    expect(init('typed_uint64').uint64Data).toEqual([0xffffffffffffffffn]);
    expect(init('typed_uint32').uint64Data).toEqual([4000000000n]);
    expect(init('w').rawData.byteLength).toBe(64);
  });
});

describe('tensor payloads', () => {
  it('are views of the file bytes, not copies', () => {
    const bytes = encodeModel(everyFieldModel());
    const model = decodeModel(bytes);
    const w = model.graph.initializers.get('w')!.initializer!;
    const view = w.bytes();
    expect(view.buffer).toBe(bytes.buffer);
    expect(view.byteOffset).toBeGreaterThan(0);
  });

  it('get an aligned copy only when raw_data starts at a misaligned offset', () => {
    const bytes = encodeModel(everyFieldModel());
    // Place the file at an odd offset in a larger buffer, so every raw_data view is misaligned by one more byte.
    const shifted = new Uint8Array(bytes.byteLength + 1);
    shifted.set(bytes, 1);
    for (const file of [bytes, shifted.subarray(1)]) {
      const w = decodeModel(file).graph.initializers.get('w')!.initializer as DenseTensor;
      const numbers = w.typed() as Float32Array;
      expect(Array.from(numbers)).toEqual(Array.from(Float32Array.from({ length: 16 }, (_, i) => i / 7)));
      const aligned = w.bytes().byteOffset % 4 === 0;
      expect(numbers.buffer === file.buffer).toBe(aligned);
      expect(w.bytes().buffer).toBe(file.buffer); // the raw view itself never moves
    }
  });
});
