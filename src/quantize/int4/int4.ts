import type { Diagnostic } from '../../diagnostics.js';
import type { ModeOutcome } from '../quantize.js';
import { LowbitError, PassError } from '../../errors.js';
import type { Model } from '../../ir/model.js';
import { runPasses } from '../../passes/pass.js';
import { topoSortPass } from '../../passes/topo-sort.js';
import { foldConstantCastsPass } from '../../passes/fold-constant-casts.js';
import { constantsToInitializersPass } from '../../passes/constants-to-initializers.js';
import { convertOpset } from '../../passes/convert-opset/convert-opset.js';
import { inferTypes } from '../../passes/infer-types/infer-types.js';
import { applyRules, type Rule } from '../../rules/rule.js';
import { MS_DOMAIN, matMulNBitsRule, type Int4Context } from '../../rules/matmul-nbits.js';
import { qdqInt4Rule } from '../../rules/qdq-int4.js';
import { gatherBlockQuantizedRule } from '../../rules/gather-block-quantized.js';
import type { QuantizeOptions } from '../options.js';
import { quantizeWithGptq } from './gptq-pass.js';
import { Int4WeightStore } from './int4-store.js';
import { int4Settings } from './settings.js';

/** Blocked DequantizeLinear with int4/uint4 weights is ONNX opset 21. */
const QDQ_INT4_OPSET = 21;

/**
 * int4: MatMul weights to 4-bit blocks (MatMulNBits, or standard blocked DequantizeLinear), and
 * optionally Gather tables to GatherBlockQuantized. The model is rewritten in place.
 */
export async function quantizeInt4(model: Model, options: QuantizeOptions, timings: Record<string, number>): Promise<ModeOutcome> {
  const settings = int4Settings(options);
  const time = async <T>(label: string, fn: () => T | Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      timings[label] = (timings[label] ?? 0) + Math.round((performance.now() - start) * 10) / 10;
    }
  };
  const warnings: Diagnostic[] = [];
  const notes: string[] = [];
  const exclude = new Set(options.exclude ?? []);
  await time('prepare', () => runPasses(model, [topoSortPass, foldConstantCastsPass, constantsToInitializersPass], { check: options.debug ?? false }));
  if (settings.format === 'qdq') await time('opset', () => raiseOpset(model));
  await time('infer-types', () => inferTypes(model));

  const store = new Int4WeightStore(model, settings);
  const ctx: Int4Context = { model, store };
  const matmulRule = settings.format === 'nbits' ? matMulNBitsRule : qdqInt4Rule;
  if (settings.method === 'gptq') {
    const gptq = await time('gptq', () => quantizeWithGptq(model, options.int4Calibration!, store, exclude));
    const how = settings.gptq.sequential ? 'each measured with the layers before it already quantized' : 'all measured on the float model';
    notes.push(`GPTQ: ${gptq.weights} weight(s), Hessians from ${gptq.samples} calibration sample(s), ${how} (${gptq.passes} pass(es) over the data).`, ...gptq.notes);
    warnings.push(...gptq.warnings);
  }
  const rules: Rule<Int4Context>[] = [matmulRule, ...(settings.gatherBits ? [gatherBlockQuantizedRule] : [])];
  const outcome = await time('rewrite', () => applyRules(model, rules, ctx, { exclude: [...exclude] }));
  store.removeReplaced();
  const quantized = Object.values(outcome.rewritten).reduce((a, b) => a + b, 0);
  if (quantized > 0 && (settings.format === 'nbits' || settings.gatherBits) && !model.opsetImports.has(MS_DOMAIN)) model.opsetImports.set(MS_DOMAIN, 1);
  if (store.energy > 0) {
    notes.push(`int4 ${settings.method}, blocks of ${settings.blockSize}, ${settings.symmetric ? 'symmetric' : 'asymmetric'}: weight reconstruction error Σ(w−ŵ)²/Σw² = ${(store.squaredError / store.energy).toExponential(4)}.`);
  }
  return { quantized, skipped: outcome.skipped, warnings, notes, noop: quantized === 0, weightBytes: { before: store.bytesBefore, after: store.bytesAfter } };
}

function raiseOpset(model: Model): void {
  const current = model.opset() ?? 0;
  if (current >= QDQ_INT4_OPSET) return;
  try {
    convertOpset(model, QDQ_INT4_OPSET);
  } catch (error) {
    if (!(error instanceof PassError)) throw error;
    throw new LowbitError(`cannot write --int4-format qdq: the model's opset ${current} must be raised to ${QDQ_INT4_OPSET} (blocked int4 DequantizeLinear) and ${error.message}; --int4-format nbits needs no opset change`, {
      code: 'opset-unsupported',
      cause: error,
    });
  }
}
