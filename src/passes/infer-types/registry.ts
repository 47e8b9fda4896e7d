import type { TypeRule } from './context.js';
import { contribRules } from './contrib-ops.js';
import { controlFlowRules } from './control-flow.js';
import { convRules } from './conv.js';
import { elementwiseRules } from './elementwise.js';
import { indexRules } from './index-ops.js';
import { linalgRules } from './linalg.js';
import { miscRules } from './misc.js';
import { normRules } from './norms.js';
import { microsoftQuantRules, onnxQuantRules } from './quant-ops.js';
import { reduceRules } from './reduce.js';
import { reshapeRules } from './reshape-ops.js';
import { resizeRules } from './resize.js';
import { rnnRules } from './rnn.js';
import { selectionRules } from './selection-ops.js';
import { sequenceRules } from './sequence-ops.js';
import { shapeSourceRules } from './shape-source.js';

/** Type rules by domain, then op type. '' is ai.onnx. */
const RULES_BY_DOMAIN: Record<string, Record<string, TypeRule>[]> = {
  '': [
    elementwiseRules, linalgRules, convRules, normRules, reshapeRules, indexRules, selectionRules, shapeSourceRules,
    resizeRules, reduceRules, rnnRules, miscRules, sequenceRules, controlFlowRules, onnxQuantRules,
  ],
  'com.microsoft': [microsoftQuantRules, contribRules],
};

const TABLE = new Map<string, TypeRule>();
for (const [domain, sets] of Object.entries(RULES_BY_DOMAIN)) {
  for (const set of sets) for (const [op, rule] of Object.entries(set)) TABLE.set(`${domain}::${op}`, rule);
}

export function typeRuleFor(domain: string, opType: string): TypeRule | undefined {
  return TABLE.get(`${domain === 'ai.onnx' ? '' : domain}::${opType}`);
}

/** "Add", "com.microsoft.MatMulNBits", …: every operator that has a type rule, sorted. */
export function supportedOperators(): string[] {
  return [...TABLE.keys()].map((k) => k.replace(/^::/, '').replace('::', '.')).sort();
}
