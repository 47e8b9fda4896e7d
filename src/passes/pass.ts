import type { Diagnostic } from '../diagnostics.js';
import { checkModel, errorsOf } from '../ir/checker.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { GraphCheckError, LowbitError, PassError, errorMessage } from '../errors.js';
import { formatDiagnostic } from '../diagnostics.js';

export interface PassResult {
  model: Model;
  modified: boolean;
  /** What the pass left alone or changed that a user should know about. */
  diagnostics?: Diagnostic[];
}

/** A named graph transformation with one job. */
export interface Pass {
  readonly name: string;
  run(model: Model): PassResult;
}

export interface PassManagerOptions {
  /** Run the checker after every pass and name the pass that broke the graph (tests and --debug). */
  check?: boolean;
}

/**
 * A pass that offers every node of one standard op type, in every graph, to `rewrite` again and
 * again until it declines (returns false): for folds that can take several neighbours in turn.
 */
export function rewriteEachNode(name: string, opType: string, rewrite: (model: Model, node: Node) => boolean): Pass {
  return {
    name,
    run(model: Model) {
      let modified = false;
      for (const graph of model.allGraphs()) {
        for (const node of graph.nodes) {
          if (node.opType !== opType || node.domain !== '') continue;
          while (rewrite(model, node)) modified = true;
        }
      }
      return { model, modified };
    },
  };
}

/** Runs passes in order; collects their diagnostics; with `check`, catches a broken graph at its source. */
export function runPasses(model: Model, passes: readonly Pass[], options: PassManagerOptions = {}): PassResult {
  let current = model;
  let modified = false;
  const diagnostics: Diagnostic[] = [];
  for (const pass of passes) {
    let result: PassResult;
    try {
      result = pass.run(current);
    } catch (error) {
      if (error instanceof LowbitError) throw error;
      throw new PassError(`pass '${pass.name}' failed: ${errorMessage(error)}`, { code: 'pass-failed', cause: error });
    }
    current = result.model;
    modified ||= result.modified;
    if (result.diagnostics) diagnostics.push(...result.diagnostics);
    if (options.check && result.modified) {
      const errors = errorsOf(checkModel(current));
      if (errors.length > 0) {
        throw new GraphCheckError(`pass '${pass.name}' left an invalid graph: ${errors.slice(0, 3).map(formatDiagnostic).join('; ')}`, errors);
      }
    }
  }
  return { model: current, modified, diagnostics };
}
