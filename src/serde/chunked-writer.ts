import { create, isFieldSet, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { GraphProtoSchema, ModelProtoSchema, TensorProtoSchema, type GraphProto, type ModelProto, type TensorProto } from 'onnx-buf';

// Why this file exists: protobuf-es builds the whole message in one growing buffer and shifts every
// nested message when it learns its length, so an 88 MB model is copied several times over (7× the
// time of writing the bytes to disk, measured in bench/io.mjs). This writer asks protobuf-es for
// every small part and hand-writes only the path ModelProto.graph → GraphProto.initializer →
// TensorProto.raw_data, where the payload bytes are passed through as the views they already are.
// Fields are emitted in field-number order, so the bytes equal protobuf-es's own encoding (a test
// checks this on every corpus model).

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;

/** Encode a ModelProto as a list of chunks whose concatenation is the serialized model. */
export function modelToChunks(model: ModelProto): Uint8Array[] {
  const graph = model.graph;
  if (!graph) return [toBinary(ModelProtoSchema, model)];
  const [before, after] = splitAt(ModelProtoSchema, model, MODEL_GRAPH);
  const graphChunks = graphToChunks(graph);
  return [toBinary(ModelProtoSchema, before), lengthDelimitedHeader(MODEL_GRAPH, totalLength(graphChunks)), ...graphChunks, toBinary(ModelProtoSchema, after)];
}

function graphToChunks(graph: GraphProto): Uint8Array[] {
  const [before, after] = splitAt(GraphProtoSchema, graph, GRAPH_INITIALIZER);
  const chunks: Uint8Array[] = [toBinary(GraphProtoSchema, before)];
  for (const tensor of graph.initializer) {
    const tensorChunks = tensorToChunks(tensor);
    chunks.push(lengthDelimitedHeader(GRAPH_INITIALIZER, totalLength(tensorChunks)), ...tensorChunks);
  }
  chunks.push(toBinary(GraphProtoSchema, after));
  return chunks;
}

function tensorToChunks(tensor: TensorProto): Uint8Array[] {
  if (!isFieldSet(tensor, TensorProtoSchema.field.rawData)) return [toBinary(TensorProtoSchema, tensor)];
  const [before, after] = splitAt(TensorProtoSchema, tensor, TENSOR_RAW_DATA);
  const raw = tensor.rawData;
  return [toBinary(TensorProtoSchema, before), lengthDelimitedHeader(TENSOR_RAW_DATA, raw.byteLength), raw, toBinary(TensorProtoSchema, after)];
}

/** Two shallow copies of `message`: the set fields numbered below `field`, and those above it. */
function splitAt<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, field: number): [MessageShape<Desc>, MessageShape<Desc>] {
  const before = create(schema) as Record<string, unknown>;
  const after = create(schema) as Record<string, unknown>;
  const source = message as unknown as Record<string, unknown>;
  for (const f of schema.fields) {
    if (f.number === field || !isFieldSet(message, f)) continue;
    (f.number < field ? before : after)[f.localName] = source[f.localName];
  }
  return [before as MessageShape<Desc>, after as MessageShape<Desc>];
}

/** Tag (field, wire type 2) and varint length of a length-delimited field. */
function lengthDelimitedHeader(field: number, length: number): Uint8Array {
  const bytes: number[] = [];
  writeVarint((field << 3) | 2, bytes);
  writeVarint(length, bytes);
  return Uint8Array.from(bytes);
}

function writeVarint(value: number, out: number[]): void {
  // Lengths here stay below 2^31 (protobuf's limit); use arithmetic, not bit ops, to be safe past 2^31.
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

export function totalLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  return n;
}

export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(totalLength(chunks));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
