import type { Diagnostic } from '../../diagnostics.js';
import { AttrType, type Attribute } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import type { ValueType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { convertFloatTensor, retargetOutputType } from '../fp16/retarget-attributes.js';
import { nodeLabel } from '../fp16/values.js';

/**
 * Turn every float16 of the model into float32: initializers and Constant tensors (exactly: each
 * float16 is a float32), ConstantOfShape fill values, Cast(to=FLOAT16) and other dtype attributes,
 * and the declared type of every value, subgraphs and local functions included. The Casts an fp16
 * converter left become Cast(to=FLOAT) of float32 values, which removeIdentityCasts then drops.
 * Returns how many tensors were converted.
 */
export function halfToFloat(model: Model, notes: Diagnostic[]): number {
  const halfIo = [...model.graph.inputs, ...model.graph.outputs].filter((v) => v.type?.kind === 'tensor' && v.type.elemType === DataType.FLOAT16);
  if (halfIo.length > 0) {
    const names = [...new Set(halfIo.map((v) => v.name))].join(', ');
    notes.push({ code: 'fp32-io-retyped', severity: 'info', reason: `model inputs/outputs ${names} change from float16 to float32` });
  }
  let tensors = 0;
  for (const graph of graphsOf(model)) {
    for (const v of graph.initializers.values()) {
      if (v.initializer?.dtype === DataType.FLOAT16) {
        v.initializer = convertFloatTensor(v.initializer, DataType.FLOAT);
        tensors++;
      }
    }
    for (const v of graph.sparseInitializers.values()) {
      if (v.sparseInitializer?.values.dtype === DataType.FLOAT16) notes.push(kept(`sparse initializer '${v.name}' stays float16`, { value: v.name }));
    }
    for (const node of graph.nodes) tensors += convertNode(node, notes);
    for (const v of valuesOf(graph)) if (v.type) v.type = retype(v.type);
  }
  return tensors;
}

function graphsOf(model: Model): Graph[] {
  return [...model.allGraphs(), ...model.functions.flatMap((fn) => [...fn.body.allGraphs()])];
}

function convertNode(node: Node, notes: Diagnostic[]): number {
  let tensors = 0;
  if (retargetOutputType(node, DataType.FLOAT16, DataType.FLOAT) && node.opType === 'ConstantOfShape') tensors++;
  for (const a of node.attributes.values()) {
    if (!holdsHalfTensor(a)) continue;
    if (node.opType === 'Constant' && node.domain === '' && a.name === 'value' && a.type === AttrType.TENSOR) {
      node.setAttr('value', { type: AttrType.TENSOR, value: convertFloatTensor(a.value, DataType.FLOAT) });
      tensors++;
    } else {
      notes.push(kept(`attribute '${a.name}' holds a float16 tensor whose meaning lowbit does not know; left as it is`, nodeLabel(node)));
    }
  }
  return tensors;
}

function holdsHalfTensor(a: Attribute): boolean {
  if (a.type === AttrType.TENSOR) return a.value.dtype === DataType.FLOAT16;
  if (a.type === AttrType.TENSORS) return a.value.some((t) => t.dtype === DataType.FLOAT16);
  return false;
}

function* valuesOf(graph: Graph): Generator<Value> {
  yield* graph.inputs;
  yield* graph.outputs;
  yield* graph.initializers.values();
  yield* graph.valueInfos;
  for (const node of graph.nodes) for (const out of node.outputs) if (out) yield out;
}

/** The type with float16 replaced by float32 wherever it occurs (sequences and maps included). */
function retype(type: ValueType): ValueType {
  switch (type.kind) {
    case 'tensor':
    case 'sparse_tensor':
      return type.elemType === DataType.FLOAT16 ? { ...type, elemType: DataType.FLOAT } : type;
    case 'sequence':
    case 'optional':
      return type.elem ? { ...type, elem: retype(type.elem) } : type;
    case 'map':
      return type.value ? { ...type, value: retype(type.value) } : type;
    default:
      return type;
  }
}

function kept(reason: string, where: { node?: string; opType?: string; value?: string }): Diagnostic {
  return { code: 'fp32-half-kept', severity: 'warning', reason, ...where };
}
