import type { Diagnostic } from '../../diagnostics.js';
import { formatDiagnostic } from '../../diagnostics.js';
import { GraphCheckError, PassError } from '../../errors.js';
import { checkModel, errorsOf } from '../../ir/checker.js';
import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { inferTypes } from '../infer-types/infer-types.js';
import type { Pass } from '../pass.js';
import { topoSortPass } from '../topo-sort.js';
import { HalfConstants } from './half-constants.js';
import { removeIdentityCasts } from './identity-casts.js';
import { planPrecision } from './precision-plan.js';
import { reconcileValues } from './reconcile-values.js';
import { retargetOutputType } from './retarget-attributes.js';

export interface Float16Options {
  /** Keep the model's float inputs and outputs float32, with Casts inside (default true). */
  keepIoTypes?: boolean;
  /** Op types (or node names) to keep in float32, in addition to those that must be. */
  block?: readonly string[];
}

export interface Float16Result {
  model: Model;
  /** Nodes that now compute in float16. */
  converted: number;
  /** Nodes with float operands left in float32, each with the reason. */
  keptFloat: Diagnostic[];
  /** Clamped constants (code 'fp16-clamped', one per tensor) and flushed tiny values ('fp16-underflow', one in all). */
  warnings: Diagnostic[];
  /**
   * Nothing computes in float32 but Casts, and the model holds float16 values: it was converted
   * before (by lowbit or another tool), and is returned untouched.
   */
  alreadyFloat16: boolean;
}

/**
 * Convert a float32 model to float16, in place: float32 initializers, Constant tensors, value
 * types and the nodes computing on them become float16, except the nodes that must stay float32
 * (see op-policy.ts and precision-plan.ts), which get Casts around them. Subgraphs are converted
 * too, with float32 at their boundaries. Values that are already float16 (or double) are left as
 * they are.
 */
export function convertToFloat16(model: Model, options: Float16Options = {}): Float16Result {
  topoSortPass.run(model);
  const sourceConflicts = requireTypes(model);
  const opset = model.opset('') ?? 1;
  const plan = planPrecision(model, new Set(options.block ?? []));
  const order = new Map([...model.graph.allNodes()].map((n, i) => [n, i]));
  const keptFloat = () => [...plan.kept].sort(([a], [b]) => order.get(a)! - order.get(b)!).map(([, d]) => d);
  // Converting again would only swap the boundary Casts for new ones under new names.
  if ([...plan.half].every((n) => n.opType === 'Cast') && holdsFloat16(model)) return { model, converted: 0, keptFloat: keptFloat(), warnings: [], alreadyFloat16: true };
  const constants = new HalfConstants(model);
  reconcileValues({ model, plan, opset, keepIoTypes: options.keepIoTypes ?? true, constants });
  for (const node of plan.half) retargetOutputType(node, DataType.FLOAT, DataType.FLOAT16);
  removeIdentityCasts(model);
  finish(model, sourceConflicts);
  const underflow = constants.underflowWarning();
  return {
    model,
    converted: plan.half.size,
    keptFloat: keptFloat(),
    warnings: underflow ? [...constants.warnings, underflow] : constants.warnings,
    alreadyFloat16: false,
  };
}

function holdsFloat16(model: Model): boolean {
  return [...model.graph.allNodes()].some((n) => [...n.inputs, ...n.outputs].some((v) => v?.type?.kind === 'tensor' && v.type.elemType === DataType.FLOAT16));
}

/**
 * The pass decides by element type, so every value must have one. Returns the values whose
 * declared type already disagreed with inference: the source's own inconsistencies, not ours.
 */
function requireTypes(model: Model): Set<string> {
  const { unknown, conflicts } = inferTypes(model, { refresh: true });
  if (unknown.length > 0) {
    throw new PassError(`fp16 conversion needs the type of every value; inference could not find ${unknown.length}: ${unknown.slice(0, 3).map(formatDiagnostic).join('; ')}`, {
      code: 'fp16-types-unknown',
    });
  }
  return new Set(conflicts.map((d) => d.value ?? ''));
}

/** Retype the rewritten model and make sure it is still well formed and consistently typed. */
function finish(model: Model, sourceConflicts: ReadonlySet<string>): void {
  const { conflicts } = inferTypes(model, { refresh: true });
  const errors = [...conflicts.filter((d) => !sourceConflicts.has(d.value ?? '')), ...errorsOf(checkModel(model))];
  if (errors.length > 0) {
    throw new GraphCheckError(`fp16 conversion left an inconsistent model: ${errors.slice(0, 3).map(formatDiagnostic).join('; ')}`, errors, { code: 'fp16-invalid' });
  }
}
