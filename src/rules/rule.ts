import type { Diagnostic } from '../diagnostics.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';

/**
 * Why a rule left a node alone: a stable code and words for people. The code NOT_APPLICABLE means
 * the node was never a candidate (e.g. a Gather that indexes a shape): it is not reported.
 */
export const NOT_APPLICABLE = 'not-applicable';

export interface SkipReason {
  code: string;
  reason: string;
}

/**
 * A local rewrite: which ops it applies to (its root), whether it can apply to this node (`check`
 * returns why not, and never throws), and the rewrite itself.
 */
export interface Rule<Ctx = unknown> {
  readonly name: string;
  /** Root op types this rule looks at, in the given domain ('' = ai.onnx). */
  readonly opTypes: readonly string[];
  readonly domain?: string;
  check(node: Node, ctx: Ctx): SkipReason | undefined;
  rewrite(node: Node, ctx: Ctx): void;
}

export interface RuleOutcome {
  /** Nodes rewritten, per rule name. */
  rewritten: Record<string, number>;
  /** Nodes a rule looked at and left alone, with the reason. */
  skipped: Diagnostic[];
}

export interface ApplyOptions {
  /** Node names or op types to leave alone. */
  exclude?: readonly string[];
}

/**
 * Offer every node of every graph (subgraphs included) to the rules indexed by its op type. The
 * node list tolerates edits while it is walked, so rewrites may add and remove nodes.
 */
export function applyRules<Ctx>(model: Model, rules: readonly Rule<Ctx>[], ctx: Ctx, options: ApplyOptions = {}): RuleOutcome {
  const byOp = new Map<string, Rule<Ctx>[]>();
  for (const rule of rules) {
    for (const op of rule.opTypes) {
      const key = `${rule.domain ?? ''}::${op}`;
      byOp.set(key, [...(byOp.get(key) ?? []), rule]);
    }
  }
  const exclude = new Set(options.exclude ?? []);
  const outcome: RuleOutcome = { rewritten: {}, skipped: [] };
  for (const graph of model.allGraphs()) {
    for (const node of graph.nodes) {
      const candidates = byOp.get(`${node.domain}::${node.opType}`);
      if (!candidates) continue;
      const where = { node: node.name || node.outputs[0]?.name || '', opType: node.opType };
      if (isExcluded(node, exclude)) {
        outcome.skipped.push({ code: 'excluded', severity: 'info', ...where, reason: `excluded by --exclude ${exclude.has(node.name) ? node.name : node.opType}` });
        continue;
      }
      let reasons: SkipReason[] = [];
      for (const rule of candidates) {
        const skip = rule.check(node, ctx);
        if (skip) {
          reasons.push(skip);
          continue;
        }
        rule.rewrite(node, ctx);
        outcome.rewritten[rule.name] = (outcome.rewritten[rule.name] ?? 0) + 1;
        reasons = [];
        break;
      }
      for (const r of reasons) if (r.code !== NOT_APPLICABLE) outcome.skipped.push({ code: r.code, severity: 'info', ...where, reason: r.reason });
    }
  }
  return outcome;
}

/** Whether --exclude names the node or its op type. */
function isExcluded(node: Node, exclude: ReadonlySet<string>): boolean {
  return exclude.has(node.name) || exclude.has(node.opType);
}

/**
 * The nodes applyRules would hand to `rule.rewrite` (in every graph, not excluded, its check
 * passed), without rewriting them: for work that must see them first (GPTQ rounding of their weights).
 */
export function nodesToRewrite<Ctx>(model: Model, rule: Rule<Ctx>, ctx: Ctx, options: ApplyOptions = {}): Node[] {
  const exclude = new Set(options.exclude ?? []);
  const ops = new Set(rule.opTypes);
  return model
    .allGraphs()
    .flatMap((graph) => [...graph.nodes])
    .filter((node) => node.domain === (rule.domain ?? '') && ops.has(node.opType) && !isExcluded(node, exclude) && !rule.check(node, ctx));
}
