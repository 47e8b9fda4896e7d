import type { Diagnostic } from '../../diagnostics.js';
import type { Model } from '../../ir/model.js';
import type { Pass } from '../pass.js';
import { TypeInferencer } from './engine.js';

export interface InferTypesOptions {
  /**
   * Forget the types of intermediate values first — all but graph inputs, outputs, initializers
   * and value_info entries — so that a graph that a pass has rewritten is typed afresh.
   */
  refresh?: boolean;
}

export interface InferTypesResult {
  /** Values whose type this run set or made more precise. */
  inferred: number;
  /** Values left without a type, each with the reason (code 'type-unknown'). */
  unknown: Diagnostic[];
  /** Declared types that disagree with what the operators produce (code 'type-conflict'). */
  conflicts: Diagnostic[];
}

/**
 * Give every value of the model its element type, and its shape where that is static or follows
 * from the inputs' shapes. Declared types are kept; inference only fills in what is missing.
 */
export function inferTypes(model: Model, options: InferTypesOptions = {}): InferTypesResult {
  if (options.refresh) forgetUndeclaredTypes(model);
  const inferencer = new TypeInferencer(model);
  inferencer.inferModel();
  return inferencer.result();
}

export const inferTypesPass: Pass = {
  name: 'infer-types',
  run(model) {
    const result = inferTypes(model);
    return { model, modified: result.inferred > 0, diagnostics: [...result.unknown, ...result.conflicts] };
  },
};

function forgetUndeclaredTypes(model: Model): void {
  for (const graph of model.allGraphs()) {
    const declared = new Set([...graph.outputs, ...graph.valueInfos]);
    for (const node of graph.nodes) {
      for (const out of node.outputs) if (out && !declared.has(out)) out.type = undefined;
    }
  }
}
