import { DataType } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { isTensorType, type TensorTypeInfo } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';

// Small helpers shared by the float16 and float32 conversions.

export function isFloat32(v: Value): boolean {
  return isTensorType(v.type) && v.type.elemType === DataType.FLOAT;
}

export function isFloat16(v: Value): boolean {
  return isTensorType(v.type) && v.type.elemType === DataType.FLOAT16;
}

/** The same tensor type with another element type (shape and denotations kept). */
export function withElemType(type: TensorTypeInfo, elemType: DataType): TensorTypeInfo {
  return { ...structuredClone(type), elemType };
}

/** Names of every graph as diagnostics give them: "main", "main/If_0.then_branch". */
export function graphLabels(model: Model): Map<Graph, string> {
  const labels = new Map<Graph, string>();
  const visit = (graph: Graph, label: string) => {
    labels.set(graph, label);
    for (const node of graph.nodes) for (const sub of node.subgraphs()) visit(sub, `${label}/${node.name || node.opType}.${sub.name}`);
  };
  visit(model.graph, 'main');
  return labels;
}

/** The node fields of a diagnostic. */
export function nodeLabel(node: Node): { node: string; opType: string } {
  return { node: node.name || node.outputs[0]?.name || '', opType: node.opType };
}
