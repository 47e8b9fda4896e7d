import type { Diagnostic } from '../../diagnostics.js';
import { errorMessage } from '../../errors.js';
import type { Attribute } from '../../ir/attribute.js';
import type { Graph } from '../../ir/graph.js';
import type { FunctionDef, Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import type { ValueType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { CannotInfer, InferContext, type InferHost, type OutputTypes } from './context.js';
import { topologicalOrder } from './graph-order.js';
import { knownFromTensor, type Known } from './known.js';
import { knownRuleFor } from './known-rules.js';
import { refineType } from './merge.js';
import { typeRuleFor } from './registry.js';

/**
 * Where types and known contents are kept while one graph is typed. The model's own graphs write
 * types onto their Values; a function body is typed once per call, so its types go to a map of
 * that call and never onto the shared body.
 */
interface Frame {
  types: Map<Value, ValueType> | undefined;
  known: Map<Value, Known>;
  opsets: Map<string, number>;
  callerAttributes: Map<string, Attribute> | undefined;
  /** Only the model's own graphs report unknown values; a function call reports at the call. */
  report: boolean;
  depth: number;
  paths: Map<Graph, string>;
}

/** Function calls nested deeper than this are not typed (a recursive function would never end). */
const MAX_CALL_DEPTH = 16;

export class TypeInferencer {
  private inferred = 0;
  private readonly unknown: Diagnostic[] = [];
  private readonly conflicts: Diagnostic[] = [];
  private readonly functions = new Map<string, FunctionDef>();

  constructor(private readonly model: Model) {
    for (const fn of model.functions) this.functions.set(`${fn.domain}::${fn.name}::${fn.overload}`, fn);
  }

  inferModel(): void {
    const frame: Frame = {
      types: undefined,
      known: new Map(),
      opsets: this.model.opsetImports,
      callerAttributes: undefined,
      report: true,
      depth: 0,
      paths: new Map([[this.model.graph, 'main']]),
    };
    this.inferGraph(this.model.graph, frame);
  }

  result(): { inferred: number; unknown: Diagnostic[]; conflicts: Diagnostic[] } {
    return { inferred: this.inferred, unknown: this.unknown, conflicts: this.conflicts };
  }

  private inferGraph(graph: Graph, frame: Frame): void {
    const host = this.hostFor(frame);
    for (const node of topologicalOrder(graph)) this.inferNode(node, frame, host);
  }

  private inferNode(node: Node, frame: Frame, host: InferHost): void {
    const ctx = new InferContext(node, host);
    let types: OutputTypes = [];
    let failure: string | undefined;
    try {
      const rule = typeRuleFor(node.domain, node.opType);
      const fn = rule ? undefined : this.functions.get(`${node.domain}::${node.opType}::${node.overload}`);
      if (rule) types = rule(ctx);
      else if (fn) types = this.inferCall(node, fn, frame);
      else failure = `no type rule for ${node.domain ? `${node.domain}.` : ''}${node.opType}`;
    } catch (error) {
      failure = error instanceof CannotInfer ? error.message : `the type rule failed: ${errorMessage(error)}`;
    }
    node.outputs.forEach((out, i) => {
      if (!out) return;
      const inferred = types[i];
      if (inferred) this.assign(out, inferred, frame, node);
      else if (!host.typeOf(out) && frame.report) {
        const reason = failure ?? `the rule for ${node.opType} cannot type output ${i}`;
        this.unknown.push(this.diagnostic('type-unknown', reason, node, out, frame));
      }
    });
    this.propagateKnown(ctx, frame);
  }

  private propagateKnown(ctx: InferContext, frame: Frame): void {
    const rule = knownRuleFor(ctx.node.domain, ctx.node.opType);
    if (!rule) return;
    let known: (Known | undefined)[];
    try {
      known = rule(ctx);
    } catch {
      // Known contents are a bonus: a value whose contents cannot be computed is simply not known.
      return;
    }
    ctx.node.outputs.forEach((out, i) => {
      const k = known[i];
      if (out && k) frame.known.set(out, k);
    });
  }

  private assign(value: Value, inferred: ValueType, frame: Frame, node: Node | undefined): void {
    const declared = frame.types ? (frame.types.get(value) ?? value.type) : value.type;
    const { type, conflict } = refineType(declared, structuredClone(inferred));
    if (conflict && frame.report) this.conflicts.push(this.diagnostic('type-conflict', conflict, node, value, frame));
    if (!type) return;
    if (frame.types) frame.types.set(value, type);
    else {
      value.type = type;
      this.inferred++;
    }
  }

  private inferCall(node: Node, fn: FunctionDef, caller: Frame): OutputTypes {
    if (caller.depth >= MAX_CALL_DEPTH) throw new CannotInfer(`function calls nest deeper than ${MAX_CALL_DEPTH}`);
    const attributes = new Map<string, Attribute>();
    for (const a of fn.attributeDefaults) attributes.set(a.name, a);
    for (const a of node.attributes.values()) attributes.set(a.name, this.hostFor(caller).resolveAttribute(node, a.name) ?? a);
    const frame: Frame = {
      types: new Map(),
      known: new Map(),
      opsets: new Map([...this.model.opsetImports, ...fn.opsetImports]),
      callerAttributes: attributes,
      report: false,
      depth: caller.depth + 1,
      paths: caller.paths,
    };
    const callerHost = this.hostFor(caller);
    fn.body.inputs.forEach((formal, i) => {
      const actual = node.input(i);
      if (!actual) return;
      const type = callerHost.typeOf(actual);
      if (type) frame.types!.set(formal, type);
      const known = callerHost.knownOf(actual);
      if (known) frame.known.set(formal, known);
    });
    this.inferGraph(fn.body, frame);
    return fn.body.outputs.map((v) => frame.types!.get(v) ?? v.type);
  }

  private hostFor(frame: Frame): InferHost {
    const typeOf = (v: Value) => (frame.types?.get(v) ?? v.type);
    return {
      typeOf,
      knownOf: (v) => {
        let k = frame.known.get(v);
        if (k === undefined) {
          const tensor = v.constTensor();
          k = tensor ? knownFromTensor(tensor) : undefined;
          if (k) frame.known.set(v, k);
        }
        return k;
      },
      opsetOf: (domain) => frame.opsets.get(domain) ?? frame.opsets.get(domain === '' ? 'ai.onnx' : domain) ?? 1,
      resolveAttribute: (node, name) => {
        const a = node.attributes.get(name);
        if (!a?.refAttrName) return a;
        const target = frame.callerAttributes?.get(a.refAttrName);
        return target ? { ...target, name } : undefined;
      },
      inferSubgraph: (node, attrName, graph, inputTypes) => {
        frame.paths.set(graph, `${frame.paths.get(node.graph!) ?? 'main'}/${node.name || node.opType}.${attrName}`);
        return this.inferBody(graph, inputTypes, frame);
      },
      probeSubgraph: (_node, _attrName, graph, inputTypes) => {
        const probe: Frame = { ...frame, types: new Map(frame.types ?? []), known: new Map(frame.known), report: false };
        return this.inferBody(graph, inputTypes, probe);
      },
    };
  }

  private inferBody(graph: Graph, inputTypes: (ValueType | undefined)[], frame: Frame): (ValueType | undefined)[] {
    graph.inputs.forEach((input, i) => {
      const t = inputTypes[i];
      if (t) this.assign(input, t, frame, undefined);
    });
    this.inferGraph(graph, frame);
    return graph.outputs.map((v) => frame.types?.get(v) ?? v.type);
  }

  private diagnostic(code: string, reason: string, node: Node | undefined, value: Value, frame: Frame): Diagnostic {
    return {
      code,
      severity: 'warning',
      reason,
      ...(node ? { node: node.name || node.opType, opType: node.opType } : {}),
      value: value.name,
      graph: (value.graph && frame.paths.get(value.graph)) ?? (node?.graph && frame.paths.get(node.graph)) ?? 'main',
    };
  }
}
