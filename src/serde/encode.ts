import { create, fromJson, type JsonValue } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  DeviceConfigurationProtoSchema,
  FunctionProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeDeviceConfigurationProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  SparseTensorProtoSchema,
  TensorAnnotationSchema,
  TrainingInfoProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type OperatorSetIdProto,
  type SparseTensorProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { AttrType, type Attribute } from '../ir/attribute.js';
import type { Graph } from '../ir/graph.js';
import type { FunctionDef, Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { SparseTensor } from '../ir/tensor/sparse.js';
import type { Tensor } from '../ir/tensor/tensor.js';
import type { Value } from '../ir/value.js';
import { concatChunks, modelToChunks } from './chunked-writer.js';
import { entriesToProto } from './entries.js';
import { tensorToProto, type ExternalPlacement } from './tensor-proto.js';
import { typeToProto } from './type-proto.js';

/** Receives external tensor data in order; the Node edge writes it to a file, tests keep it in memory. */
export interface ByteSink {
  write(bytes: Uint8Array): void;
}

export interface ExternalDataTarget {
  /** File name written into each tensor's external_data location, relative to the model's folder. */
  location: string;
  sink: ByteSink;
  /** Tensors smaller than this stay inline (default 1024 bytes, as ONNX's own tools do). */
  threshold?: number;
  /** Large tensors start on this boundary so that runtimes can map them (default 4096 above 1 MiB). */
  align?: number;
}

export interface EncodeOptions {
  /** Move initializer payloads to external data. Without it every payload is inlined. */
  external?: ExternalDataTarget;
}

/** Protobuf messages cannot be larger than 2 GiB; past this, external data is required. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

/** IR → ONNX bytes. Deterministic: the same model gives the same bytes. */
export function encodeModel(model: Model, options: EncodeOptions = {}): Uint8Array {
  return concatChunks(encodeModelChunks(model, options));
}

/**
 * IR → ONNX bytes as a list of chunks (tensor payloads are the views they already were), for
 * writing to a file without building the whole model in one buffer.
 */
export function encodeModelChunks(model: Model, options: EncodeOptions = {}): Uint8Array[] {
  return modelToChunks(encodeModelProto(model, options));
}

/** IR → ModelProto message (tests compare the chunked writer against protobuf-es's own encoding). */
export function encodeModelProto(model: Model, options: EncodeOptions = {}): ModelProto {
  return new Encoder(options.external).model(model);
}

/** Bytes the payloads of all tensors would take inline: decides when external data is needed. */
export function inlinePayloadBytes(model: Model): number {
  let total = 0;
  for (const graph of model.allGraphs()) {
    for (const v of graph.initializers.values()) total += v.initializer!.byteLength;
    for (const node of graph.nodes) {
      for (const a of node.attributes.values()) if (a.type === AttrType.TENSOR) total += a.value.byteLength;
    }
  }
  return total;
}

class Encoder {
  private position = 0;

  constructor(private readonly external: ExternalDataTarget | undefined) {}

  model(model: Model): ModelProto {
    const proto = create(ModelProtoSchema, {
      irVersion: BigInt(model.irVersion),
      opsetImport: opsets(model.opsetImports),
    });
    if (model.producerName) proto.producerName = model.producerName;
    if (model.producerVersion) proto.producerVersion = model.producerVersion;
    if (model.domain) proto.domain = model.domain;
    if (model.modelVersion !== 0n) proto.modelVersion = model.modelVersion;
    if (model.docString) proto.docString = model.docString;
    proto.graph = this.graph(model.graph);
    proto.metadataProps = entriesToProto(model.metadataProps);
    proto.trainingInfo = model.trainingInfo.map((t) => {
      const info = create(TrainingInfoProtoSchema, {
        initializationBinding: entriesToProto(t.initializationBinding),
        updateBinding: entriesToProto(t.updateBinding),
      });
      if (t.initialization) info.initialization = this.graph(t.initialization);
      if (t.algorithm) info.algorithm = this.graph(t.algorithm);
      return info;
    });
    proto.functions = model.functions.map((f) => this.function(f));
    proto.configuration = model.configuration.map((c) => fromJson(DeviceConfigurationProtoSchema, c as JsonValue));
    return proto;
  }

  private function(f: FunctionDef): import('onnx-buf').FunctionProto {
    const proto = create(FunctionProtoSchema, {
      name: f.name,
      input: f.body.inputs.map((v) => v.name),
      output: f.body.outputs.map((v) => v.name),
      attribute: f.attributeNames,
      attributeProto: f.attributeDefaults.map((a) => this.attribute(a)),
      node: [...f.body.nodes].map((n) => this.node(n)),
      opsetImport: opsets(f.opsetImports),
      valueInfo: f.body.valueInfos.map(valueInfo),
      metadataProps: entriesToProto(f.metadataProps),
    });
    if (f.domain) proto.domain = f.domain;
    if (f.overload) proto.overload = f.overload;
    if (f.docString) proto.docString = f.docString;
    return proto;
  }

  private graph(graph: Graph): GraphProto {
    const proto = create(GraphProtoSchema, {
      node: [...graph.nodes].map((n) => this.node(n)),
      initializer: [...graph.initializers.values()].map((v) => this.tensor(v.initializer!, v.name, true)),
      sparseInitializer: [...graph.sparseInitializers.values()].map((v) => this.sparse(v.sparseInitializer!)),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      valueInfo: graph.valueInfos.map(valueInfo),
      quantizationAnnotation: graph.quantizationAnnotations.map((a) =>
        create(TensorAnnotationSchema, { tensorName: a.tensorName, quantParameterTensorNames: entriesToProto(a.params) }),
      ),
      metadataProps: entriesToProto(graph.metadataProps),
    });
    if (graph.name) proto.name = graph.name;
    if (graph.docString) proto.docString = graph.docString;
    return proto;
  }

  private node(node: Node): NodeProto {
    const proto = create(NodeProtoSchema, {
      input: node.inputs.map((v) => v?.name ?? ''),
      output: node.outputs.map((v) => v?.name ?? ''),
      opType: node.opType,
      attribute: [...node.attributes.values()].map((a) => this.attribute(a)),
      metadataProps: entriesToProto(node.metadataProps),
      deviceConfigurations: node.deviceConfigurations.map((c) => fromJson(NodeDeviceConfigurationProtoSchema, c as JsonValue)),
    });
    if (node.name) proto.name = node.name;
    if (node.domain) proto.domain = node.domain;
    if (node.overload) proto.overload = node.overload;
    if (node.docString) proto.docString = node.docString;
    return proto;
  }

  private attribute(a: Attribute): AttributeProto {
    const proto = create(AttributeProtoSchema, { name: a.name, type: a.type as number });
    if (a.refAttrName) proto.refAttrName = a.refAttrName;
    if (a.docString) proto.docString = a.docString;
    switch (a.type) {
      case AttrType.FLOAT:
        proto.f = a.value;
        break;
      case AttrType.INT:
        proto.i = a.value;
        break;
      case AttrType.STRING:
        proto.s = a.value as Uint8Array<ArrayBuffer>;
        break;
      case AttrType.TENSOR:
        proto.t = this.tensor(a.value, a.value.meta.name, false);
        break;
      case AttrType.GRAPH:
        proto.g = this.graph(a.value);
        break;
      case AttrType.SPARSE_TENSOR:
        proto.sparseTensor = this.sparse(a.value);
        break;
      case AttrType.TYPE_PROTO:
        proto.tp = typeToProto(a.value);
        break;
      case AttrType.FLOATS:
        proto.floats = a.value;
        break;
      case AttrType.INTS:
        proto.ints = a.value;
        break;
      case AttrType.STRINGS:
        proto.strings = a.value as Uint8Array<ArrayBuffer>[];
        break;
      case AttrType.TENSORS:
        proto.tensors = a.value.map((t) => this.tensor(t, t.meta.name, false));
        break;
      case AttrType.GRAPHS:
        proto.graphs = a.value.map((g) => this.graph(g));
        break;
      case AttrType.SPARSE_TENSORS:
        proto.sparseTensors = a.value.map((s) => this.sparse(s));
        break;
      case AttrType.TYPE_PROTOS:
        proto.typeProtos = a.value.map(typeToProto);
        break;
      case AttrType.UNDEFINED:
        // A function-body reference attribute: only name, ref_attr_name and type are written.
        proto.type = 0;
        break;
    }
    return proto;
  }

  private sparse(s: SparseTensor): SparseTensorProto {
    return create(SparseTensorProtoSchema, {
      values: this.tensor(s.values, s.values.meta.name, false),
      indices: this.tensor(s.indices, s.indices.meta.name, false),
      dims: s.dims.map((d) => BigInt(d)),
    });
  }

  /** Initializers go to external data when a target is set and they are large enough. */
  private tensor(tensor: Tensor, name: string, isInitializer: boolean): TensorProto {
    const ext = this.external;
    if (ext && isInitializer && tensor.kind !== 'string' && tensor.byteLength >= (ext.threshold ?? 1024)) {
      return tensorToProto(tensor, name, this.place(tensor, ext));
    }
    return tensorToProto(tensor, name);
  }

  private place(tensor: Tensor, ext: ExternalDataTarget): ExternalPlacement {
    const align = ext.align ?? (tensor.byteLength >= 1 << 20 ? 4096 : 16);
    const pad = (align - (this.position % align)) % align;
    if (pad) {
      ext.sink.write(new Uint8Array(pad));
      this.position += pad;
    }
    const bytes = tensor.bytes();
    const offset = this.position;
    ext.sink.write(bytes);
    this.position += bytes.byteLength;
    return { location: ext.location, offset, length: bytes.byteLength };
  }
}

function opsets(imports: Map<string, number>): OperatorSetIdProto[] {
  return [...imports].map(([domain, version]) => {
    const op = create(OperatorSetIdProtoSchema, { version: BigInt(version) });
    if (domain) op.domain = domain;
    return op;
  });
}

function valueInfo(v: Value): ValueInfoProto {
  const proto = create(ValueInfoProtoSchema, { name: v.name });
  if (v.type) proto.type = typeToProto(v.type);
  if (v.docString) proto.docString = v.docString;
  if (v.metadataProps.length) proto.metadataProps = entriesToProto(v.metadataProps);
  return proto;
}
