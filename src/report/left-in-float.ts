import type { Diagnostic } from '../diagnostics.js';
import { dtypeName } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { constantWeight } from '../inspect/weights.js';

/**
 * Nodes of a quantized model that still multiply by a constant float weight. For a model this run
 * did not quantize (lowbit eval --report on a peer's output) the quantizer's reasons are unknown;
 * this at least names the nodes and their weights.
 */
export function floatWeightNodes(model: Model): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const graph of model.allGraphs()) {
    for (const node of graph.nodes) {
      const site = constantWeight(node);
      if (!site) continue;
      const weight = node.input(site.inputIndex)!;
      found.push({
        code: 'weight-still-float',
        severity: 'info',
        node: node.name || node.outputs[0]?.name || '',
        opType: node.opType,
        reason: `weight '${weight.name}' is still ${dtypeName(site.tensor.dtype)}`,
        ...(graph !== model.graph ? { graph: graph.name } : {}),
      });
    }
  }
  return found;
}
