import { attr } from '../ir/attribute.js';
import { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import { constantWeight } from '../inspect/weights.js';
import type { WeightStore } from '../quantize/weight-store.js';
import type { Rule, SkipReason } from './rule.js';
import { weightSkipReason } from './weight-only.js';

export interface GatherContext {
  model: Model;
  store: WeightStore;
}

/**
 * An embedding table in int8, dequantized after the lookup rather than before: Gather picks the
 * int8 rows, then only those rows are scaled. A DequantizeLinear in front of Gather (what the
 * peer emits) converts the whole table on every run — 28 million values for mailwoman's 73k×384
 * table, to use 128 rows of it.
 *   per row (default):  Gather(q, ids) → Cast(float) → Mul(·, Gather(scales[V,1], ids))
 *   per tensor:         Gather(q, ids) → DequantizeLinear(scale, zero point)
 */
export const gatherQuantizedRule: Rule<GatherContext> = {
  name: 'gather-int8',
  opTypes: ['Gather'],
  check(node: Node): SkipReason | undefined {
    const reason = weightSkipReason(node, true);
    if (reason) return reason;
    if (node.attrInt('axis', 0) !== 0) return { code: 'gather-axis', reason: 'Gather along an axis other than 0 keeps its table in float' };
    return undefined;
  },
  rewrite(node: Node, ctx: GatherContext): void {
    const site = constantWeight(node, true)!;
    const table = node.input(0)!;
    const ids = node.input(1)!;
    const graph = node.graph!;
    const perRow = !ctx.store.settings.perTensor && ctx.store.settings.symmetric;
    const q = ctx.store.quantize(table, site.tensor, perRow ? 0 : undefined, perRow ? 'rows' : 'tensor');
    ctx.store.replaced.add(table);
    // Taken now: the node hands its output over below, and an unnamed node is named after it.
    const base = node.name || node.output().name;
    const name = (suffix: string) => ctx.model.freshName(`${base}_${suffix}`);
    const add = (opType: string, inputs: Value[], attributes = {}) => {
      const n = new Node({ opType, name: name(opType), inputs, outputs: [name(`${opType}_out`)], attributes });
      graph.insertBefore(node, n);
      return n.output();
    };
    const out = node.output();
    node.setOutput(0, null);
    const rows = add('Gather', [q.q, ids]);
    let last: Node;
    if (perRow) {
      const column = ctx.store.rowScales(q);
      const floats = add('Cast', [rows], { to: attr.int(DataType.FLOAT) });
      const scales = add('Gather', [column, ids]);
      last = new Node({ opType: 'Mul', name: name('Mul'), inputs: [floats, scales], outputs: [out] });
    } else {
      last = new Node({ opType: 'DequantizeLinear', name: name('DequantizeLinear'), inputs: [rows, q.scale, q.zeroPoint], outputs: [out] });
    }
    graph.insertBefore(node, last);
    graph.removeNode(node);
  },
};
