import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { isTensorType } from '../../ir/types.js';

/**
 * Remove Casts to float32 or float16 whose input already has that type: after a precision change,
 * the Casts an fp16 converter put around float32 islands (and Cast(to=FLOAT) inside a now-fp16
 * region) become no-ops. A Cast that makes a graph output hands its output Value (and so the output's name) to
 * the node that made its input, when that node is in the same graph. Casts to other types are the
 * model's own business and stay. Returns how many were removed.
 */
export function removeIdentityCasts(model: Model): number {
  let removed = 0;
  for (const graph of model.allGraphs()) {
    for (const node of graph.nodes) {
      if (isIdentityCast(node) && bypass(node)) removed++;
    }
  }
  return removed;
}

function isIdentityCast(node: Node): boolean {
  if (node.opType !== 'Cast' || node.domain !== '') return false;
  const to = node.attrInt('to');
  const input = node.input(0);
  return (to === DataType.FLOAT || to === DataType.FLOAT16) && !!input && isTensorType(input.type) && input.type.elemType === to;
}

function bypass(cast: Node): boolean {
  const graph = cast.graph!;
  const input = cast.input(0)!;
  const output = cast.output();
  if (!output.isGraphOutput()) {
    output.replaceAllUsesWith(input, { graphOutputs: false });
    graph.removeNode(cast);
    return true;
  }
  const producer = input.producer();
  if (!producer || producer.graph !== graph || input.isGraphOutput()) return false;
  cast.setOutput(0, null);
  graph.removeNode(cast);
  input.replaceAllUsesWith(output, { graphOutputs: false });
  producer.setOutput(input.producerIndex(), output);
  return true;
}
