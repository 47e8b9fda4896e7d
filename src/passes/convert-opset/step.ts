import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import type { ValueFacts } from './value-facts.js';

/** Where one node stands while it crosses one opset version. */
export interface StepContext {
  readonly model: Model;
  readonly graph: Graph;
  readonly node: Node;
  /** The ai.onnx opset the node's graph imports before conversion. */
  readonly from: number;
  /** The ai.onnx opset being converted to. */
  readonly target: number;
  /** The opset version this step crosses (the op's schema changed there). */
  readonly version: number;
  readonly facts: ValueFacts;
  /** Function bodies have no initializers: constants become Constant nodes there. */
  readonly inFunction: boolean;
  /** A value or node name unused in the model and in the graph being converted. */
  freshName(base: string): string;
}

/**
 * How one operator crosses one schema change. `check` runs on every node before anything in the
 * model changes, so a refusal leaves the model untouched; it reads the node as the source model
 * has it and returns the reason it cannot be converted (it never throws). `apply` then rewrites the
 * node into the new form and must not fail; when it replaces the node it returns the replacement.
 */
export interface StepAdapter {
  check?(ctx: StepContext): string | undefined;
  apply(ctx: StepContext): Node | void;
}

/** A schema change that has no faithful rewrite: nodes of this op cannot cross it. */
export interface Refusal {
  refuse: string;
}

export type Step = StepAdapter | Refusal;
