import { AttrType, attr } from '../ir/attribute.js';
import { DataType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import { isTensorType } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { LowbitError } from '../errors.js';

/**
 * Make intermediate values readable as model outputs, including values inside If branches and
 * Loop/Scan bodies — runtimes only return graph outputs, and a calibrator that cannot see inside
 * subgraphs leaves them unquantized (the peer's known fault; silero VAD lives entirely in Ifs).
 *
 * A value in a subgraph becomes an extra output of that subgraph and of the node that owns it (If:
 * the other branch returns an empty tensor in that slot; Loop/Scan: a scan output, so the values
 * of every iteration come out stacked), and so on up to the main graph. Mutates the model: use it
 * on a copy. Returns, for each requested name, the model output name that carries its values.
 */
export function exposeValues(model: Model, names: readonly string[]): Map<string, string> {
  const index = indexValues(model);
  const exposed = new Map<Value, Value>();
  const out = new Map<string, string>();
  for (const name of names) {
    const value = index.get(name);
    if (!value) throw new LowbitError(`cannot expose '${name}': no value of that name in the model`, { code: 'unknown-value' });
    out.set(name, exposeUpward(model, value, exposed).name);
  }
  return out;
}

function indexValues(model: Model): Map<string, Value> {
  const index = new Map<string, Value>();
  for (const graph of model.allGraphs()) {
    for (const v of graph.inputs) index.set(v.name, v);
    for (const node of graph.nodes) for (const o of node.outputs) if (o) index.set(o.name, o);
  }
  return index;
}

/** Carry `value` out of its graph, and out of each enclosing graph, to a main-graph output. */
function exposeUpward(model: Model, value: Value, exposed: Map<Value, Value>): Value {
  const done = exposed.get(value);
  if (done) return done;
  const graph = value.graph!;
  const owner = graph.owner;
  let result: Value;
  if (!owner) {
    if (!graph.outputs.includes(value)) graph.outputs.push(value);
    result = value;
  } else {
    const carried = exposeFromSubgraph(model, owner, graph, value);
    result = exposeUpward(model, carried, exposed);
  }
  exposed.set(value, result);
  return result;
}

/** Add `value` as an output of `sub` (owned by `owner`) and the matching output of `owner`. */
function exposeFromSubgraph(model: Model, owner: Node, sub: Graph, value: Value): Value {
  const elemType = isTensorType(value.type) ? value.type.elemType : DataType.FLOAT;
  switch (owner.opType) {
    case 'If':
      for (const branch of owner.subgraphs()) {
        branch.outputs.push(branch === sub ? value : emptyConstant(model, branch, elemType));
      }
      break;
    case 'Loop':
      sub.outputs.push(value); // an extra body output after the carried ones is a scan output
      break;
    case 'Scan': {
      sub.outputs.push(value);
      // Scan's per-output attributes, when given, need an entry for the new scan output.
      for (const name of ['scan_output_axes', 'scan_output_directions']) {
        const a = owner.getAttr(name);
        if (a?.type === AttrType.INTS) owner.setAttr(name, attr.ints([...a.value, 0]));
      }
      break;
    }
    default:
      throw new LowbitError(`cannot expose '${value.name}' from a subgraph of ${owner.describe()}`, { code: 'unknown-subgraph-owner' });
  }
  const carried = new Value(model.freshName(`${value.name}_exposed`), { kind: 'tensor', elemType });
  owner.setOutput(owner.outputs.length, carried);
  return carried;
}

function emptyConstant(model: Model, graph: Graph, elemType: DataType): Value {
  const bytes = new Uint8Array(0);
  const node = new Node({
    opType: 'Constant',
    name: model.freshName('exposed_empty'),
    outputs: [model.freshName('exposed_empty')],
    attributes: { value: attr.tensor(new DenseTensor(elemType, [0], bytes)) },
  });
  node.output().type = { kind: 'tensor', elemType, shape: [0] };
  graph.appendNode(node);
  return node.output();
}
