import { AttrType } from '../ir/attribute.js';
import { DataType, dtypeName, isFloatType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { formatDim, type ValueType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { allTensors } from '../ir/walk.js';
import { QUANTIZED_OPS, constantWeight, isInt4Eligible } from './weights.js';

export interface IOSummary {
  name: string;
  dtype: string;
  /** Dims: numbers, symbolic names, or "?" when unknown; absent when the rank is unknown. */
  shape?: (number | string)[];
}

export interface TensorSummary {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
}

export interface ModelSummary {
  producer: { name: string; version: string };
  /** metadata_props: lowbit records `lowbit.version`, `lowbit.mode`, `lowbit.options` there. */
  metadata: Record<string, string>;
  irVersion: number;
  opsets: Record<string, number>;
  inputs: IOSummary[];
  outputs: IOSummary[];
  /** "domain::op" for non-default domains, plain op type otherwise → count, in all graphs. */
  ops: Record<string, number>;
  nodes: number;
  /** Elements in all constant tensors (initializers and Constant node values). */
  parameters: number;
  bytesByDtype: Record<string, number>;
  largestTensors: TensorSummary[];
  subgraphs: number;
  functions: number;
  externalData: { used: boolean; tensors: number; bytes: number; files: string[] };
  /** Ops that show the model is already quantized, with counts. */
  quantizedOps: Record<string, number>;
  /** What each quantization mode would touch. */
  quantizable: {
    /** Conv, ConvTranspose, MatMul, Gemm with constant float weights (weights-int8 and static int8). */
    weightOps: Record<string, number>;
    /** MatMul and Gemm with constant weights (dynamic int8). */
    dynamicOps: number;
    /** MatMuls with a constant 2-D weight (int4 MatMulNBits). */
    int4MatMuls: number;
    /** Float tensors fp16 would halve, and their bytes. */
    floatTensors: number;
    floatBytes: number;
  };
}

export function summarizeModel(model: Model, topTensors = 10): ModelSummary {
  const ops: Record<string, number> = {};
  const quantizedOps: Record<string, number> = {};
  const weightOps: Record<string, number> = {};
  let nodes = 0;
  let dynamicOps = 0;
  let int4MatMuls = 0;
  const graphs = model.allGraphs();
  for (const graph of graphs) {
    for (const node of graph.nodes) {
      nodes++;
      const key = node.domain ? `${node.domain}::${node.opType}` : node.opType;
      ops[key] = (ops[key] ?? 0) + 1;
      if (QUANTIZED_OPS.has(node.opType)) quantizedOps[key] = (quantizedOps[key] ?? 0) + 1;
      else if (isQuantizedTable(node)) quantizedOps[QUANTIZED_TABLE] = (quantizedOps[QUANTIZED_TABLE] ?? 0) + 1;
      if (constantWeight(node)) {
        weightOps[node.opType] = (weightOps[node.opType] ?? 0) + 1;
        if (node.opType === 'MatMul' || node.opType === 'Gemm') dynamicOps++;
        if (isInt4Eligible(node)) int4MatMuls++;
      }
    }
  }

  const bytesByDtype: Record<string, number> = {};
  const tensors: TensorSummary[] = [];
  const externalFiles = new Set<string>();
  let parameters = 0;
  let externalTensors = 0;
  let externalBytes = 0;
  let floatTensors = 0;
  let floatBytes = 0;
  for (const site of allTensors(model)) {
    const t = site.tensor;
    if (site.where === 'attribute' && t.size <= 1) continue; // scalars in attributes are not parameters
    parameters += t.size;
    const name = dtypeName(t.dtype);
    bytesByDtype[name] = (bytesByDtype[name] ?? 0) + t.byteLength;
    tensors.push({ name: site.name, dtype: name, shape: [...t.dims], bytes: t.byteLength });
    if (isFloatType(t.dtype) && t.dtype !== DataType.FLOAT16) {
      floatTensors++;
      floatBytes += t.byteLength;
    }
    if (t.kind === 'external') {
      externalTensors++;
      externalBytes += t.byteLength;
      externalFiles.add((t as import('../ir/tensor/external.js').ExternalTensor).where.location);
    }
  }
  tensors.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));

  const opsets: Record<string, number> = {};
  for (const [domain, version] of model.opsetImports) opsets[domain || 'ai.onnx'] = version;

  return {
    producer: { name: model.producerName, version: model.producerVersion },
    metadata: Object.fromEntries(model.metadataProps),
    irVersion: model.irVersion,
    opsets,
    inputs: model.graph.inputs.filter((v) => !v.initializer).map(ioSummary),
    outputs: model.graph.outputs.map(ioSummary),
    ops: sortCounts(ops),
    nodes,
    parameters,
    bytesByDtype,
    largestTensors: tensors.slice(0, topTensors),
    subgraphs: graphs.length - 1,
    functions: model.functions.length,
    externalData: { used: externalTensors > 0, tensors: externalTensors, bytes: externalBytes, files: [...externalFiles].sort() },
    quantizedOps: sortCounts(quantizedOps),
    quantizable: { weightOps, dynamicOps, int4MatMuls, floatTensors, floatBytes },
  };
}

function ioSummary(v: Value): IOSummary {
  const t: ValueType | undefined = v.type;
  if (t && (t.kind === 'tensor' || t.kind === 'sparse_tensor')) {
    return { name: v.name, dtype: dtypeName(t.elemType), ...(t.shape ? { shape: t.shape.map((d) => (d === null ? formatDim(d) : d)) } : {}) };
  }
  return { name: v.name, dtype: t ? t.kind : 'unknown' };
}

function sortCounts(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

const QUANTIZED_TABLE = 'Gather of an 8-bit table';

/** A Gather on a constant int8/uint8 table: an embedding quantized without Q/DQ ops (lowbit's per-row form). */
function isQuantizedTable(node: Node): boolean {
  if (node.opType !== 'Gather' || node.domain !== '') return false;
  const dtype = node.input(0)?.constTensor()?.dtype;
  return dtype === DataType.INT8 || dtype === DataType.UINT8;
}
