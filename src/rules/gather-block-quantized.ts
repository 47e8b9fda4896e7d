import { attr } from '../ir/attribute.js';
import { DataType, dtypeName } from '../ir/dtype.js';
import { Node } from '../ir/node.js';
import { constantWeight } from '../inspect/weights.js';
import { MS_DOMAIN, type Int4Context } from './matmul-nbits.js';
import type { Rule, SkipReason } from './rule.js';
import { weightSkipReason } from './weight-only.js';

/**
 * int4 with `--gather-bits 4|8`: an embedding table read by Gather becomes com.microsoft
 * GatherBlockQuantized, which picks the rows first and dequantizes only those (blocks along the
 * table's last axis, one scale per block of each row).
 */
export const gatherBlockQuantizedRule: Rule<Int4Context> = {
  name: 'gather-block-quantized',
  opTypes: ['Gather'],
  check(node: Node): SkipReason | undefined {
    const site = constantWeight(node, true);
    if (!site) return weightSkipReason(node, true) ?? { code: 'no-constant-weight', reason: 'the table is not a constant' };
    const { dtype, dims } = site.tensor;
    if (dtype !== DataType.FLOAT && dtype !== DataType.FLOAT16) return { code: 'weight-not-float', reason: `table is ${dtypeName(dtype)}` };
    if (dims.length !== 2) return { code: 'gather-table-not-2d', reason: `table is ${dims.length}-D; GatherBlockQuantized here takes a 2-D [rows, width] table` };
    if (node.attrInt('axis', 0) !== 0) return { code: 'gather-axis', reason: 'Gather along an axis other than 0 keeps its table in float' };
    return undefined;
  },
  rewrite(node: Node, ctx: Int4Context): void {
    const site = constantWeight(node, true)!;
    const table = node.input(0)!;
    const bits = ctx.store.settings.gatherBits!;
    const q = ctx.store.gatherTable(table, site.tensor, bits);
    ctx.store.replaced.add(table);
    const out = node.output();
    node.setOutput(0, null);
    const gbq = new Node({
      opType: 'GatherBlockQuantized',
      domain: MS_DOMAIN,
      name: node.name || ctx.model.freshName(`${out.name}_GatherBlockQuantized`),
      inputs: q.zeroPoints ? [q.data, node.input(1)!, q.scales, q.zeroPoints] : [q.data, node.input(1)!, q.scales],
      outputs: [out],
      attributes: { gather_axis: attr.int(0), quantize_axis: attr.int(1), block_size: attr.int(ctx.store.settings.blockSize), bits: attr.int(bits) },
    });
    node.graph!.insertBefore(node, gbq);
    node.graph!.removeNode(node);
  },
};
