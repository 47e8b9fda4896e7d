import type { Diagnostic } from '../diagnostics.js';
import { isFloatType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { isTensorType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { LowbitError, errorMessage } from '../errors.js';
import { exposeValues } from '../passes/expose-values.js';

/**
 * How a tensor is observed: a node's output (in any graph) is made an output of the model and
 * fetched from each run; a main-graph input is read from the samples themselves; a constant
 * (initializer, Constant node) once.
 */
export type TargetKind = 'output' | 'input' | 'constant';

export interface Target {
  name: string;
  kind: TargetKind;
  value: Value;
  /** The model output that carries it (outputs only; differs from `name` for subgraph values). */
  fetch: string;
}

/**
 * Find the tensors to calibrate. Values known not to be float tensors have no range to measure and
 * are skipped with the reason; a name the model does not have is a caller's bug.
 */
export function resolveTargets(model: Model, names: readonly string[]): { targets: Target[]; skipped: Diagnostic[] } {
  const index = valuesByName(model);
  const targets: Target[] = [];
  const skipped: Diagnostic[] = [];
  for (const name of new Set(names)) {
    const value = index.get(name);
    if (!value) throw new LowbitError(`the model has no tensor named '${name}' to calibrate`, { code: 'calib-unknown-tensor', tensor: name });
    const type = value.type;
    if (type !== undefined && (!isTensorType(type) || !isFloatType(type.elemType))) {
      skipped.push({ code: 'calib-not-float', severity: 'warning', value: name, reason: 'it is not a float tensor' });
      continue;
    }
    const kind: TargetKind = value.constTensor() ? 'constant' : value.isGraphInput() && !value.graph?.owner ? 'input' : 'output';
    targets.push({ name, kind, value, fetch: name });
  }
  return { targets, skipped };
}

/**
 * Make each output target an output of the model (values in If branches and Loop/Scan bodies are
 * carried out through their owners, see exposeValues). Mutates the model: call it on a copy.
 * A value that cannot be carried out is skipped with the reason.
 */
export function exposeTargets(model: Model, targets: Target[], skipped: Diagnostic[]): Target[] {
  const exposed: Target[] = [];
  for (const t of targets) {
    try {
      exposed.push({ ...t, fetch: exposeValues(model, [t.name]).get(t.name)! });
    } catch (error) {
      skipped.push({ code: 'calib-not-exposed', severity: 'warning', value: t.name, graph: t.value.graph?.name, reason: `it cannot be made a model output: ${errorMessage(error)}` });
    }
  }
  return exposed;
}

function valuesByName(model: Model): Map<string, Value> {
  const map = new Map<string, Value>();
  for (const graph of model.allGraphs()) {
    for (const v of graph.inputs) map.set(v.name, v);
    for (const [name, v] of graph.initializers) map.set(name, v);
    for (const node of graph.nodes) for (const out of node.outputs) if (out) map.set(out.name, out);
  }
  return map;
}
