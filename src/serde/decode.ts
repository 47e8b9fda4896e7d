import { fromBinary, toJson } from '@bufbuild/protobuf';
import {
  ModelProtoSchema,
  TensorProtoSchema,
  NodeDeviceConfigurationProtoSchema,
  DeviceConfigurationProtoSchema,
  AttributeProto_AttributeType as ProtoAttrType,
  type AttributeProto,
  type FunctionProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type SparseTensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { AttrType, type Attribute } from '../ir/attribute.js';
import { Graph } from '../ir/graph.js';
import { Model, type FunctionDef, type TrainingInfo } from '../ir/model.js';
import { Node } from '../ir/node.js';
import type { SparseTensor } from '../ir/tensor/sparse.js';
import type { ExternalDataSource } from '../ir/tensor/external.js';
import { Value } from '../ir/value.js';
import { ModelFormatError, errorMessage } from '../errors.js';
import { entriesFromProto } from './entries.js';
import { tensorFromProto, type TensorDecodeContext } from './tensor-proto.js';
import { typeFromProto } from './type-proto.js';

export interface DecodeOptions {
  /** Name of the file, for messages. */
  file?: string;
  /** Where tensors with data_location = EXTERNAL are read from. */
  externalData?: ExternalDataSource;
}

/**
 * ONNX bytes → IR. Tensor payloads are views of `bytes` (no copy); external tensors are read when
 * touched. Throws ModelFormatError naming the file when the bytes are not a usable model.
 */
export function decodeModel(bytes: Uint8Array, options: DecodeOptions = {}): Model {
  const file = options.file ?? '<bytes>';
  if (bytes.byteLength === 0) throw new ModelFormatError(`${file}: the file is empty`, { code: 'empty-file', file });
  let proto: ModelProto;
  try {
    proto = fromBinary(ModelProtoSchema, bytes, { readUnknownFields: false });
  } catch (error) {
    throw new ModelFormatError(`${file}: not a valid ONNX model: protobuf decoding failed (${errorMessage(error)}); the file may be truncated or not an ONNX model`, {
      code: 'not-onnx',
      file,
      cause: error,
    });
  }
  if (!proto.graph) throw new ModelFormatError(`${file}: not an ONNX model: it has no graph`, { code: 'not-onnx', file });
  if (proto.irVersion <= 0n) throw new ModelFormatError(`${file}: not an ONNX model: ir_version is missing`, { code: 'not-onnx', file });
  return new Decoder({ file, external: options.externalData }).model(proto);
}

type Scope = Map<string, Value>;

class Decoder {
  constructor(private readonly ctx: TensorDecodeContext) {}

  model(proto: ModelProto): Model {
    const model = new Model();
    model.irVersion = Number(proto.irVersion);
    for (const op of proto.opsetImport) model.opsetImports.set(op.domain === 'ai.onnx' ? '' : op.domain, Number(op.version));
    model.producerName = proto.producerName;
    model.producerVersion = proto.producerVersion;
    model.domain = proto.domain;
    model.modelVersion = proto.modelVersion;
    model.docString = proto.docString;
    model.metadataProps = entriesFromProto(proto.metadataProps);
    model.configuration = proto.configuration.map((c) => toJson(DeviceConfigurationProtoSchema, c));
    const main = this.graph(proto.graph!, []);
    model.graph = main;
    model.functions = proto.functions.map((f) => this.function(f));
    const mainScope = scopeOf(main);
    model.trainingInfo = proto.trainingInfo.map(
      (t): TrainingInfo => ({
        ...(t.initialization ? { initialization: this.graph(t.initialization, [mainScope]) } : {}),
        ...(t.algorithm ? { algorithm: this.graph(t.algorithm, [mainScope]) } : {}),
        initializationBinding: entriesFromProto(t.initializationBinding),
        updateBinding: entriesFromProto(t.updateBinding),
      }),
    );
    return model;
  }

  private function(proto: FunctionProto): FunctionDef {
    const body = new Graph(proto.name);
    const scope: Scope = new Map();
    for (const name of proto.input) {
      const v = new Value(name);
      v.graph = body;
      body.inputs.push(v);
      scope.set(name, v);
    }
    this.nodes(body, proto.node, scope, [], `function '${proto.name}'`);
    body.outputs = proto.output.map((name) => this.lookup(name, [scope], () => `output '${name}' of function '${proto.name}'`));
    body.valueInfos = this.valueInfos(proto.valueInfo, [scope]);
    return {
      name: proto.name,
      domain: proto.domain,
      overload: proto.overload,
      attributeNames: [...proto.attribute],
      attributeDefaults: proto.attributeProto.map((a) => this.attribute(a, [scope])),
      opsetImports: new Map(proto.opsetImport.map((op) => [op.domain === 'ai.onnx' ? '' : op.domain, Number(op.version)])),
      body,
      docString: proto.docString,
      metadataProps: entriesFromProto(proto.metadataProps),
    };
  }

  /** Decode a graph; `outer` is the chain of enclosing scopes, innermost first. */
  private graph(proto: GraphProto, outer: Scope[]): Graph {
    const graph = new Graph(proto.name);
    graph.docString = proto.docString;
    graph.metadataProps = entriesFromProto(proto.metadataProps);
    const scope: Scope = new Map();
    for (const vi of proto.input) {
      const v = this.valueFromInfo(vi);
      v.graph = graph;
      graph.inputs.push(v);
      scope.set(v.name, v);
    }
    for (const tp of proto.initializer) {
      const tensor = tensorFromProto(tp, this.ctx);
      const existing = scope.get(tp.name);
      const v = existing ?? new Value(tp.name, { kind: 'tensor', elemType: tensor.dtype, shape: [...tensor.dims] });
      v.initializer = tensor;
      v.graph = graph;
      graph.initializers.set(tp.name, v);
      scope.set(tp.name, v);
    }
    for (const sp of proto.sparseInitializer) {
      const sparse = this.sparse(sp);
      const name = sp.values?.name ?? '';
      const v = scope.get(name) ?? new Value(name, { kind: 'sparse_tensor', elemType: sparse.values.dtype, shape: [...sparse.dims] });
      v.sparseInitializer = sparse;
      v.graph = graph;
      graph.sparseInitializers.set(name, v);
      scope.set(name, v);
    }
    this.nodes(graph, proto.node, scope, outer, `graph '${proto.name}'`);
    const chain = [scope, ...outer];
    graph.outputs = proto.output.map((vi) => {
      const v = this.lookup(vi.name, chain, () => `graph '${proto.name}' output '${vi.name}'`);
      this.applyInfo(v, vi);
      return v;
    });
    graph.valueInfos = this.valueInfos(proto.valueInfo, chain);
    graph.quantizationAnnotations = proto.quantizationAnnotation.map((a) => ({
      tensorName: a.tensorName,
      params: entriesFromProto(a.quantParameterTensorNames),
    }));
    return graph;
  }

  /**
   * Nodes in two steps: first every node and its outputs (so a subgraph may refer to any value of
   * the enclosing graph), then inputs and attributes.
   */
  private nodes(graph: Graph, protos: NodeProto[], scope: Scope, outer: Scope[], where: string): void {
    const nodes = protos.map((np) => {
      const node = new Node({
        opType: np.opType,
        domain: np.domain,
        name: np.name,
        outputs: np.output.map((name) => (name === '' ? null : new Value(name))),
        docString: np.docString,
      });
      node.overload = np.overload;
      node.metadataProps = entriesFromProto(np.metadataProps);
      node.deviceConfigurations = np.deviceConfigurations.map((c) => toJson(NodeDeviceConfigurationProtoSchema, c));
      for (const out of node.outputs) {
        if (!out) continue;
        const prior = scope.get(out.name);
        if (prior) {
          const by = prior.producer() ? `${prior.producer()!.describe()}` : 'a graph input or initializer';
          throw this.error(`value '${out.name}' in ${where} is produced twice: by ${by} and by ${node.describe()}`, node);
        }
        scope.set(out.name, out);
      }
      graph.appendNode(node);
      return node;
    });
    const chain = [scope, ...outer];
    nodes.forEach((node, i) => {
      const np = protos[i]!;
      for (const name of np.input) {
        node.appendInput(name === '' ? null : this.lookup(name, chain, () => `${node.describe()} in ${where} reads '${name}', which`, true));
      }
      for (const ap of np.attribute) {
        const a = this.attribute(ap, chain);
        node.attributes.set(a.name, a);
        for (const sub of node.subgraphs()) sub.owner = node;
      }
    });
  }

  private lookup(name: string, chain: Scope[], what: () => string, isInput = false): Value {
    for (const scope of chain) {
      const v = scope.get(name);
      if (v) return v;
    }
    const subject = what();
    throw new ModelFormatError(
      `${this.ctx.file}: ${subject}${isInput ? '' : ','} is never defined (no node, graph input or initializer makes it)`,
      { code: 'undefined-value', file: this.ctx.file },
    );
  }

  private valueInfos(infos: ValueInfoProto[], chain: Scope[]): Value[] {
    return infos.map((vi) => {
      let found: Value | undefined;
      for (const scope of chain) if ((found = scope.get(vi.name))) break;
      // A value_info for a name nothing defines is legal (exporters leave them); keep it detached.
      const v = found ?? new Value(vi.name);
      this.applyInfo(v, vi);
      return v;
    });
  }

  private valueFromInfo(vi: ValueInfoProto): Value {
    const v = new Value(vi.name);
    this.applyInfo(v, vi);
    return v;
  }

  private applyInfo(v: Value, vi: ValueInfoProto): void {
    if (vi.type) v.type = typeFromProto(vi.type);
    if (vi.docString) v.docString = vi.docString;
    if (vi.metadataProps.length) v.metadataProps = entriesFromProto(vi.metadataProps);
  }

  private sparse(sp: SparseTensorProto): SparseTensor {
    if (!sp.values || !sp.indices) throw new ModelFormatError(`${this.ctx.file}: sparse tensor without values or indices`, { code: 'bad-tensor', file: this.ctx.file });
    return { values: tensorFromProto(sp.values, this.ctx), indices: tensorFromProto(sp.indices, this.ctx), dims: sp.dims.map(Number) };
  }

  private attribute(ap: AttributeProto, chain: Scope[]): Attribute {
    const base = {
      name: ap.name,
      ...(ap.refAttrName ? { refAttrName: ap.refAttrName } : {}),
      ...(ap.docString ? { docString: ap.docString } : {}),
    };
    const type = ap.type === ProtoAttrType.UNDEFINED ? inferAttrType(ap) : (ap.type as number as AttrType);
    switch (type) {
      case AttrType.FLOAT:
        return { ...base, type, value: ap.f };
      case AttrType.INT:
        return { ...base, type, value: ap.i };
      case AttrType.STRING:
        return { ...base, type, value: ap.s };
      case AttrType.TENSOR:
        return { ...base, type, value: tensorFromProto(this.need(ap.t, ap), this.ctx) };
      case AttrType.GRAPH:
        return { ...base, type, value: this.graph(this.need(ap.g, ap), chain) };
      case AttrType.SPARSE_TENSOR:
        return { ...base, type, value: this.sparse(this.need(ap.sparseTensor, ap)) };
      case AttrType.TYPE_PROTO:
        return { ...base, type, value: typeFromProto(this.need(ap.tp, ap)) };
      case AttrType.FLOATS:
        return { ...base, type, value: [...ap.floats] };
      case AttrType.INTS:
        return { ...base, type, value: [...ap.ints] };
      case AttrType.STRINGS:
        return { ...base, type, value: [...ap.strings] };
      case AttrType.TENSORS:
        return { ...base, type, value: ap.tensors.map((t) => tensorFromProto(t, this.ctx)) };
      case AttrType.GRAPHS:
        return { ...base, type, value: ap.graphs.map((g) => this.graph(g, chain)) };
      case AttrType.SPARSE_TENSORS:
        return { ...base, type, value: ap.sparseTensors.map((s) => this.sparse(s)) };
      case AttrType.TYPE_PROTOS:
        return { ...base, type, value: ap.typeProtos.map(typeFromProto) };
      default:
        // A reference attribute in a function body carries no value of its own.
        if (ap.refAttrName) return { ...base, type: AttrType.UNDEFINED, value: undefined };
        if (ap.type === ProtoAttrType.UNDEFINED) return { ...base, type: AttrType.INT, value: ap.i };
        throw new ModelFormatError(`${this.ctx.file}: attribute '${ap.name}' has unknown type ${ap.type}`, { code: 'bad-attribute', file: this.ctx.file });
    }
  }

  private need<T>(value: T | undefined, ap: AttributeProto): T {
    if (value === undefined) {
      throw new ModelFormatError(`${this.ctx.file}: attribute '${ap.name}' says type ${ProtoAttrType[ap.type]} but holds no such value`, {
        code: 'bad-attribute',
        file: this.ctx.file,
      });
    }
    return value;
  }

  private error(message: string, node: Node): ModelFormatError {
    return new ModelFormatError(`${this.ctx.file}: ${message}`, { code: 'invalid-graph', file: this.ctx.file, node: node.name, opType: node.opType });
  }
}

/** Very old exporters leave `type` unset; ONNX's own loader infers it from which field is set. */
function inferAttrType(ap: AttributeProto): AttrType {
  if (ap.floats.length) return AttrType.FLOATS;
  if (ap.ints.length) return AttrType.INTS;
  if (ap.strings.length) return AttrType.STRINGS;
  if (ap.tensors.length) return AttrType.TENSORS;
  if (ap.graphs.length) return AttrType.GRAPHS;
  if (ap.t) return AttrType.TENSOR;
  if (ap.g) return AttrType.GRAPH;
  if (ap.s.byteLength) return AttrType.STRING;
  if (ap.i !== 0n) return AttrType.INT;
  if (ap.f !== 0) return AttrType.FLOAT;
  return AttrType.UNDEFINED;
}

function scopeOf(graph: Graph): Scope {
  const scope: Scope = new Map();
  for (const v of [...graph.inputs, ...graph.initializers.values(), ...graph.sparseInitializers.values()]) scope.set(v.name, v);
  for (const node of graph.nodes) for (const o of node.outputs) if (o) scope.set(o.name, o);
  return scope;
}


/** A lone serialized TensorProto (the .pb files of ONNX's conformance tests) → IR tensor. */
export function decodeTensor(bytes: Uint8Array, options: DecodeOptions = {}): import('../ir/tensor/tensor.js').Tensor {
  const file = options.file ?? '<bytes>';
  let proto;
  try {
    proto = fromBinary(TensorProtoSchema, bytes);
  } catch (error) {
    throw new ModelFormatError(`${file}: not a serialized ONNX tensor (${errorMessage(error)})`, { code: 'not-onnx', file, cause: error });
  }
  return tensorFromProto(proto, { file, external: options.externalData });
}
