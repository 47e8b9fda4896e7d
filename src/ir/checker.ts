import type { Diagnostic } from '../diagnostics.js';
import type { Graph } from './graph.js';
import type { Model } from './model.js';
import type { Node } from './node.js';
import type { Value } from './value.js';

/**
 * Structural rules every model and every pass output must keep: each node's inputs defined before
 * it (topological order), in this graph or an enclosing one; values named uniquely across the
 * model (so one producer per name); graph outputs defined; an opset import for every domain used;
 * def-use links that agree at both ends.
 */
export function checkModel(model: Model): Diagnostic[] {
  const out: Diagnostic[] = [];
  const imported = new Set(model.opsetImports.keys());
  const names = new Map<string, string>();
  checkGraph(model.graph, 'main', [], imported, names, out);
  for (const fn of model.functions) {
    const fnImports = new Set(fn.opsetImports.keys());
    checkGraph(fn.body, `function ${fn.domain}.${fn.name}`, [], fnImports, new Map(), out, true);
  }
  for (const [i, info] of model.trainingInfo.entries()) {
    const scope = [visibleNames(model.graph)];
    if (info.initialization) checkGraph(info.initialization, `training_info[${i}].initialization`, scope, imported, new Map(), out);
    if (info.algorithm) checkGraph(info.algorithm, `training_info[${i}].algorithm`, scope, imported, new Map(), out);
  }
  return out;
}

export function errorsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'error');
}

function visibleNames(graph: Graph): Set<Value> {
  const set = new Set<Value>([...graph.inputs, ...graph.initializers.values(), ...graph.sparseInitializers.values()]);
  for (const node of graph.nodes) for (const o of node.outputs) if (o) set.add(o);
  return set;
}

function checkGraph(
  graph: Graph,
  path: string,
  outer: Set<Value>[],
  imported: Set<string>,
  names: Map<string, string>,
  out: Diagnostic[],
  isFunction = false,
): void {
  const defined = new Set<Value>();
  const nodeNames = new Set<string>();
  const claim = (v: Value, what: string) => {
    if (v.name === '') return;
    const prior = names.get(v.name);
    if (prior !== undefined && !(prior === 'input' && what === 'initializer')) {
      out.push({ code: 'duplicate-name', severity: 'error', value: v.name, graph: path, reason: `value name '${v.name}' is defined twice (${prior} and ${what})` });
    }
    names.set(v.name, what);
  };
  for (const v of graph.inputs) {
    claim(v, 'input');
    defined.add(v);
  }
  for (const v of [...graph.initializers.values(), ...graph.sparseInitializers.values()]) {
    if (!defined.has(v)) claim(v, 'initializer');
    defined.add(v);
  }
  const isVisible = (v: Value) => defined.has(v) || outer.some((scope) => scope.has(v));
  for (const node of graph.nodes) {
    const where = { node: node.name || node.outputs[0]?.name || '', opType: node.opType, graph: path };
    if (node.graph !== graph) out.push({ code: 'wrong-owner', severity: 'error', ...where, reason: `${node.describe()} is listed in a graph it does not belong to` });
    if (node.domain !== '' && !imported.has(node.domain)) {
      out.push({ code: 'missing-opset', severity: 'error', ...where, reason: `domain '${node.domain}' is used but has no opset import` });
    }
    if (node.domain === '' && !imported.has('') && !isFunction) {
      out.push({ code: 'missing-opset', severity: 'error', ...where, reason: 'the default ai.onnx domain is used but has no opset import' });
    }
    if (node.name) {
      if (nodeNames.has(node.name)) out.push({ code: 'duplicate-node-name', severity: 'warning', ...where, reason: `node name '${node.name}' is used twice` });
      nodeNames.add(node.name);
    }
    node.inputs.forEach((v, i) => {
      if (!v) return;
      if (!v.uses().some((u) => u.node === node && u.index === i)) {
        out.push({ code: 'broken-link', severity: 'error', ...where, value: v.name, reason: `input ${i} '${v.name}' does not list this node among its uses` });
      }
      if (!isVisible(v)) {
        const producedLater = v.producer()?.graph === graph;
        out.push({
          code: producedLater ? 'not-topological' : 'undefined-input',
          severity: 'error',
          ...where,
          value: v.name,
          reason: producedLater
            ? `input '${v.name}' is produced by a later node (${v.producer()!.describe()}): nodes are not in topological order`
            : `input '${v.name}' is never defined (no node, graph input or initializer makes it)`,
        });
      }
    });
    for (const sub of node.subgraphs()) {
      if (sub.owner !== node) out.push({ code: 'wrong-owner', severity: 'error', ...where, reason: `subgraph '${sub.name}' does not name this node as its owner` });
      checkGraph(sub, `${path}/${node.name || node.opType}.${sub.name}`, [defined, ...outer], imported, names, out, isFunction);
    }
    for (const o of node.outputs) {
      if (!o) continue;
      if (o.producer() !== node) out.push({ code: 'broken-link', severity: 'error', ...where, value: o.name, reason: `output '${o.name}' does not name this node as producer` });
      claim(o, `output of ${node.describe()}`);
      defined.add(o);
    }
  }
  for (const v of graph.outputs) {
    if (!isVisible(v)) out.push({ code: 'undefined-output', severity: 'error', value: v.name, graph: path, reason: `graph output '${v.name}' is never defined` });
  }
}

/** For pass debugging: which node does what. */
export function describeNodes(nodes: Iterable<Node>): string {
  return [...nodes].map((n) => n.describe()).join(', ');
}
