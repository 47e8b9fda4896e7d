import type { Node } from '../../ir/node.js';
import type { Value } from '../../ir/value.js';

/**
 * Remove `node` if none of its outputs is read or is a graph output, then do the same for the
 * nodes and initializers that fed only it. Used after a rewrite has taken the readers away from a
 * quantized chain (DynamicQuantizeLinear, the scale product, a bias Reshape).
 */
export function removeIfDead(node: Node): void {
  const pending: Node[] = [node];
  while (pending.length > 0) {
    const current = pending.pop()!;
    if (!current.graph || current.outputs.some((o) => o && (o.uses().length > 0 || o.isGraphOutput()))) continue;
    const inputs = current.inputs.filter((v): v is Value => v !== null);
    current.graph.removeNode(current);
    for (const v of new Set(inputs)) {
      if (v.uses().length > 0 || v.isGraphOutput()) continue;
      const producer = v.producer();
      if (producer) pending.push(producer);
      else if (v.initializer && !v.isGraphInput()) v.graph?.removeInitializer(v);
    }
  }
}

/** The only node reading `v`, or undefined when it has several readers or is a graph output. */
export function soleReader(v: Value): Node | undefined {
  const readers = v.consumers();
  return readers.length === 1 && !v.isGraphOutput() ? readers[0] : undefined;
}

/**
 * Put the float nodes `build` makes where the quantized `op` was: `op` hands over its (single)
 * output and its name for them to take, then goes, with whatever fed only it.
 */
export function replaceNode(op: Node, build: (output: Value, name: string) => Node[]): void {
  const output = op.output();
  const name = op.name;
  op.setOutput(0, null);
  op.name = '';
  for (const node of build(output, name)) op.graph!.insertBefore(op, node);
  removeIfDead(op);
}
