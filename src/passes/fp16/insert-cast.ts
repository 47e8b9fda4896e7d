import { attr } from '../../ir/attribute.js';
import type { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { Node } from '../../ir/node.js';
import { isTensorType } from '../../ir/types.js';
import { Value } from '../../ir/value.js';
import { withElemType } from './values.js';

/**
 * Cast `from` to `to` into a new value, placed right after the node that makes `from` (or at the
 * start of its graph for graph inputs), so that the cast is defined before every reader.
 */
export function castAfterDefinition(model: Model, from: Value, to: DataType, suffix: string): Value {
  const out = new Value(model.freshName(`${from.name}_${suffix}`), isTensorType(from.type) ? withElemType(from.type, to) : undefined);
  placeAfterDefinition(from, castNode(model, from, out, to));
  return out;
}

/** A Cast node reading `input` and writing `output`. */
export function castNode(model: Model, input: Value, output: Value, to: DataType): Node {
  return new Node({ opType: 'Cast', name: model.freshName(`${output.name}_cast`), inputs: [input], outputs: [output], attributes: { to: attr.int(to) } });
}

/** Insert `node` right after the definition of `value` in the graph that defines it. */
export function placeAfterDefinition(value: Value, node: Node): void {
  const producer = value.producer();
  const graph = producer?.graph ?? value.graph;
  if (!graph) throw new Error(`value '${value.name}' belongs to no graph`);
  if (producer) graph.insertAfter(producer, node);
  else graph.prependNode(node);
}
