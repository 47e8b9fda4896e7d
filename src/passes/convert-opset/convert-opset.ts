import { PassError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import type { Pass } from '../pass.js';
import { NEWEST_TARGET_OPSET, OLDEST_SOURCE_OPSET, changesBetween, firstOpsetOf, minIrVersionFor } from './opset-history.js';
import type { StepAdapter, StepContext } from './step.js';
import { stepFor } from './steps.js';
import { ValueFacts } from './value-facts.js';

export interface ConvertOpsetResult {
  model: Model;
  modified: boolean;
  /** Nodes whose form was rewritten (nodes that only changed version are not counted). */
  converted: number;
}

/** Graphs that import ai.onnx at one version: the main graph with its subgraphs, or one function body. */
interface Unit {
  graphs: Graph[];
  /** The imported ai.onnx opset; undefined when the graphs import none. */
  from: number | undefined;
  inFunction: boolean;
  label: string;
  setOpset(version: number): void;
  freshName(base: string): string;
}

/** One node and the steps it takes, planned before anything changes. */
interface Plan {
  node: Node;
  graph: Graph;
  unit: Unit;
  facts: ValueFacts;
  steps: { version: number; adapter: StepAdapter }[];
}

/**
 * Upgrade the default-domain (ai.onnx) opset of the model, its subgraphs and its local functions
 * to `target`, rewriting the nodes whose form changed on the way. Either every node can be
 * converted and the model is rewritten in place, or a PassError ('opset-unsupported') names the
 * first node that cannot, and the model is left as it was.
 */
export function convertOpset(model: Model, target: number): ConvertOpsetResult {
  if (!Number.isInteger(target) || target < OLDEST_SOURCE_OPSET || target > NEWEST_TARGET_OPSET) {
    throw new PassError(`cannot convert to opset ${target}: lowbit converts to ai.onnx opsets ${OLDEST_SOURCE_OPSET} to ${NEWEST_TARGET_OPSET}`, { code: 'opset-target' });
  }
  const units = unitsOf(model);
  const plans: Plan[] = [];
  const refusals: string[] = [];
  let firstRefused: Node | undefined;
  for (const unit of units) {
    if (unit.from !== undefined && unit.from > target) {
      throw new PassError(`${unit.label} imports ai.onnx opset ${unit.from}, newer than the target ${target}; lowbit only upgrades`, { code: 'opset-downgrade' });
    }
    const facts = new ValueFacts(unit.graphs);
    for (const graph of unit.graphs) {
      for (const node of graph.nodes) {
        if (node.domain !== '') continue;
        const plan = planNode(model, unit, graph, node, facts, target);
        if (typeof plan === 'string') {
          const where = unit.inFunction ? ` in ${unit.label}` : graph.owner ? ` in subgraph '${graph.name}'` : '';
          refusals.push(`${node.describe()}${where} from ai.onnx opset ${unit.from ?? '(none)'} to ${target}: ${plan}`);
          firstRefused ??= node;
        } else if (plan.steps.length > 0) plans.push(plan);
      }
    }
  }
  if (firstRefused) {
    const others = refusals.slice(1);
    const more = others.length > 0 ? ` (and ${others.length} more: ${others.slice(0, 3).join('; ')}${others.length > 3 ? '; …' : ''})` : '';
    throw new PassError(`cannot convert ${refusals[0]}${more}`, {
      code: 'opset-unsupported',
      node: firstRefused.name || firstRefused.outputs[0]?.name || '',
      opType: firstRefused.opType,
    });
  }

  for (const plan of plans) applyPlan(model, plan, target);
  let modified = plans.length > 0;
  for (const unit of units) {
    if (unit.from !== target) {
      unit.setOpset(target);
      modified = true;
    }
  }
  const irVersion = Math.max(model.irVersion, minIrVersionFor(target));
  if (irVersion !== model.irVersion) {
    model.irVersion = irVersion;
    modified = true;
  }
  return { model, modified, converted: plans.length };
}

/** The pass form: `convertOpsetPass(13)` makes sure the model can hold per-axis Q/DQ. */
export function convertOpsetPass(target: number): Pass {
  return {
    name: 'convert-opset',
    run(model) {
      const { modified } = convertOpset(model, target);
      return { model, modified };
    },
  };
}

function unitsOf(model: Model): Unit[] {
  const mainGraphs = [model.graph, ...model.trainingInfo.flatMap((t) => [t.initialization, t.algorithm])].filter((g): g is Graph => g !== undefined);
  const units: Unit[] = [
    {
      graphs: mainGraphs.flatMap((g) => [...g.allGraphs()]),
      from: model.opset(''),
      inFunction: false,
      label: 'the model',
      setOpset: (v) => model.opsetImports.set('', v),
      freshName: (base) => model.freshName(base),
    },
  ];
  for (const fn of model.functions) {
    const graphs = [...fn.body.allGraphs()];
    const from = fn.opsetImports.get('');
    if (from === undefined && !graphs.some((g) => [...g.nodes].some((n) => n.domain === ''))) continue;
    units.push({
      graphs,
      from,
      inFunction: true,
      label: `function ${fn.domain ? `${fn.domain}.` : ''}${fn.name}`,
      setOpset: (v) => fn.opsetImports.set('', v),
      freshName: functionScopedNames(model, graphs),
    });
  }
  return units;
}

/**
 * Names in a function body are local to it, and the model's name allocator does not see them:
 * fresh names are drawn from the model and skipped while the body already uses them.
 */
function functionScopedNames(model: Model, graphs: Graph[]): (base: string) => string {
  let taken: Set<string> | undefined;
  return (base) => {
    taken ??= new Set(graphs.flatMap((g) => [...g.inputs.map((v) => v.name), ...[...g.nodes].flatMap((n) => [n.name, ...n.outputs.map((o) => o?.name ?? '')])]));
    let name = model.freshName(base);
    while (taken.has(name)) name = model.freshName(base);
    taken.add(name);
    return name;
  };
}

/** The adapters the node needs on its way to the target, or why it cannot get there. */
function planNode(model: Model, unit: Unit, graph: Graph, node: Node, facts: ValueFacts, target: number): Plan | string {
  const { from } = unit;
  if (from === undefined) return `${unit.label} uses ai.onnx operators but imports no ai.onnx opset`;
  if (from < OLDEST_SOURCE_OPSET) return `opset ${from} is older than ${OLDEST_SOURCE_OPSET}, the oldest lowbit converts from`;
  const firstOpset = firstOpsetOf(node.opType);
  if (firstOpset === undefined) return `${node.opType} is not an ai.onnx operator of opsets ${OLDEST_SOURCE_OPSET} to ${NEWEST_TARGET_OPSET}`;
  if (firstOpset > from) return `${node.opType} does not exist before opset ${firstOpset}, so the model is not valid at opset ${from}`;
  const plan: Plan = { node, graph, unit, facts, steps: [] };
  for (const version of changesBetween(node.opType, from, target)) {
    const step = stepFor(node.opType, version);
    if (!step) continue;
    if ('refuse' in step) return `${node.opType} changed at opset ${version}: ${step.refuse}`;
    plan.steps.push({ version, adapter: step });
  }
  if (plan.steps.length > 0 && unit.inFunction && [...node.attributes.values()].some((a) => a.refAttrName)) {
    return `its attributes refer to the calling node's, so their values are unknown while converting`;
  }
  for (const { version, adapter } of plan.steps) {
    const reason = adapter.check?.(contextFor(model, plan, version, target));
    if (reason) return `${node.opType} changed at opset ${version}: ${reason}`;
  }
  return plan;
}

function applyPlan(model: Model, plan: Plan, target: number): void {
  const opType = plan.node.opType;
  for (const { version, adapter } of plan.steps) {
    const replacement = adapter.apply(contextFor(model, plan, version, target));
    if (replacement) plan.node = replacement;
    // An adapter that turns the node into another op writes it in the target's form at once.
    if (plan.node.opType !== opType) break;
  }
}

function contextFor(model: Model, plan: Plan, version: number, target: number): StepContext {
  const { unit } = plan;
  return { model, graph: plan.graph, node: plan.node, from: unit.from!, target, version, facts: plan.facts, inFunction: unit.inFunction, freshName: unit.freshName };
}
