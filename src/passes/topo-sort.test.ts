import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../ir/builder.js';
import { DataType } from '../ir/dtype.js';
import { checkModel } from '../ir/checker.js';
import { topoSortPass } from './topo-sort.js';

describe('topo-sort', () => {
  it('moves producers before their readers and keeps the rest in file order', () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', DataType.FLOAT, [2]);
    const a = b.op('Relu', [x], { name: 'a' });
    const c = b.op('Neg', [a], { name: 'c' });
    const d = b.op('Abs', [x], { name: 'd' });
    b.output(b.op('Add', [c, d], { name: 'e' }), DataType.FLOAT, [2]);
    const g = b.graph;
    // Reverse the list: every node now follows its readers.
    const nodes = g.nodes.toArray();
    for (const n of nodes) g.nodes.remove(n);
    for (const n of nodes.reverse()) g.nodes.append(n);
    expect(checkModel(b.model).some((d) => d.code === 'not-topological')).toBe(true);
    expect(topoSortPass.run(b.model).modified).toBe(true);
    expect(checkModel(b.model)).toEqual([]);
    expect(g.nodes.toArray().map((n) => n.name)).toEqual(['d', 'a', 'c', 'e']);
    expect(topoSortPass.run(b.model).modified).toBe(false);
  });

  it('names the nodes of a cycle', () => {
    const b = new GraphBuilder(17);
    const x = b.input('x', DataType.FLOAT, [2]);
    const a = b.op('Relu', [x], { name: 'a' });
    const c = b.op('Neg', [a], { name: 'c' });
    a.producer()!.replaceInput(0, c);
    expect(() => topoSortPass.run(b.model)).toThrow(/cycle through Relu 'a', Neg 'c'/);
  });
});
