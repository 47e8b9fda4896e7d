// Test support, not library code: checks inferred types against what onnxruntime computes.
// (tsconfig.build.json should exclude *.test-support.ts; until it does this file is built but unused.)
import { DataType, dtypeName } from '../../src/ir/dtype.js';
import type { Model } from '../../src/ir/model.js';
import { formatType, isTensorType, type Dim } from '../../src/ir/types.js';
import type { Value } from '../../src/ir/value.js';
import { createNodeRunner } from '../../src/runner/ort-node.js';
import type { Feeds, HostTensor } from '../../src/runner/runner.js';
import { encodeModel } from '../../src/serde/encode.js';
import { formatDiagnostic } from '../../src/diagnostics.js';
import { inferTypes, type InferTypesResult } from '../../src/passes/infer-types/infer-types.js';

export interface AgreementOptions {
  /** Feeds for inputs whose contents matter (indices, shapes); the rest are generated. */
  feeds?: Feeds;
  /** Sizes for the symbolic dims of graph inputs (default 2 each). */
  symbols?: Record<string, number>;
  /** Values allowed to stay untyped (names); true allows any. */
  allowUnknown?: true | string[];
  /** Values allowed to have dims that are not numbers even with static inputs. */
  allowDynamic?: string[];
}

export interface Agreement {
  result: InferTypesResult;
  /** How many values were compared with onnxruntime. */
  compared: number;
}

/**
 * Infer types, make every node output of the main graph a graph output (typed as inferred), run
 * the model in onnxruntime with optimizations off and throw, listing all of them, when a dtype or
 * a dim disagrees, or when a value with static inputs is left with a dim that is not a number.
 */
export async function checkAgainstOrt(model: Model, options: AgreementOptions = {}): Promise<Agreement> {
  const result = inferTypes(model);
  const allowed = options.allowUnknown;
  const unexpected = result.unknown.filter((d) => allowed !== true && !(allowed ?? []).includes(d.value ?? ''));
  if (unexpected.length > 0) throw new Error(`values left untyped:\n${unexpected.map(formatDiagnostic).join('\n')}`);
  if (result.conflicts.length > 0) throw new Error(`type conflicts:\n${result.conflicts.map(formatDiagnostic).join('\n')}`);

  const symbols = new Map<string, number>(Object.entries(options.symbols ?? {}));
  const feeds = feedsFor(model, symbols, options.feeds);
  const staticInputs = model.graph.inputs.every((v) => !isTensorType(v.type) || v.type.shape?.every((d) => typeof d === 'number'));
  const checked: Value[] = [];
  for (const node of model.graph.nodes) {
    // onnxruntime-node returns tensors only; sequences and optionals are checked by their readers.
    for (const out of node.outputs) if (out && isTensorType(out.type) && !model.graph.outputs.includes(out)) checked.push(out);
  }
  for (const out of model.graph.outputs) if (isTensorType(out.type)) checked.push(out);
  const problems = await compareWithOrt(model, checked, feeds, symbols, staticInputs ? new Set(options.allowDynamic) : undefined);
  if (problems.length > 0) throw new Error(`inferred types disagree with onnxruntime:\n${problems.join('\n')}`);
  return { result, compared: checked.length };
}

/** Feeds for every graph input: the given ones, else generated (symbolic dims from `symbols`, 2 by default). */
export function feedsFor(model: Model, symbols: Map<string, number>, given: Feeds = {}): Feeds {
  const feeds: Feeds = { ...given };
  for (const input of model.graph.inputs) {
    if (input.isInitializer() || feeds[input.name]) continue;
    feeds[input.name] = generatedFeed(input, symbols);
  }
  return feeds;
}

/**
 * Make `values` graph outputs, run the model once and list every disagreement between their
 * inferred types and what onnxruntime returns. With `requireStatic`, a dim that is not a number
 * is a problem too, except for the values named in it.
 */
export async function compareWithOrt(model: Model, values: Value[], feeds: Feeds, symbols: Map<string, number>, requireStatic?: Set<string>): Promise<string[]> {
  for (const v of values) if (!model.graph.outputs.includes(v)) model.graph.outputs.push(v);
  const runner = await createNodeRunner(encodeModel(model), { optimization: 'disabled', threads: 1 });
  let actual: Record<string, HostTensor>;
  try {
    actual = await runner.run(feeds, values.map((v) => v.name));
  } finally {
    await runner.dispose();
  }
  const problems: string[] = [];
  for (const value of values) {
    const got = actual[value.name];
    const type = value.type;
    if (!got || !isTensorType(type)) continue;
    const strict = requireStatic !== undefined && !requireStatic.has(value.name);
    const describe = `'${value.name}' (${value.producer()?.opType ?? 'input'}): inferred ${formatType(type)}, onnxruntime ${dtypeName(got.dtype)}[${got.dims.join(',')}]`;
    if (got.dtype !== type.elemType) problems.push(`${describe}: dtype differs`);
    if (!type.shape) {
      if (strict) problems.push(`${describe}: rank not inferred`);
      continue;
    }
    if (type.shape.length !== got.dims.length) {
      problems.push(`${describe}: rank differs`);
      continue;
    }
    type.shape.forEach((d, i) => {
      const real = got.dims[i]!;
      if (typeof d === 'number' && d !== real) problems.push(`${describe}: dim ${i} differs`);
      if (typeof d === 'string') {
        const bound = symbols.get(d);
        if (bound === undefined) symbols.set(d, real);
        else if (bound !== real) problems.push(`${describe}: symbol '${d}' is ${bound} elsewhere`);
      }
      if (d === null && strict) problems.push(`${describe}: dim ${i} not inferred`);
    });
  }
  return problems;
}

function generatedFeed(input: Value, symbols: Map<string, number>): HostTensor {
  const type = input.type;
  if (!isTensorType(type) || !type.shape) throw new Error(`input '${input.name}' needs an explicit feed`);
  const dims = type.shape.map((d: Dim) => {
    if (typeof d === 'number') return d;
    if (typeof d === 'string') {
      if (!symbols.has(d)) symbols.set(d, 2);
      return symbols.get(d)!;
    }
    return 2;
  });
  const count = dims.reduce((a, b) => a * b, 1);
  switch (type.elemType) {
    case DataType.FLOAT:
      return { dtype: type.elemType, dims, data: Float32Array.from({ length: count }, (_, i) => Math.sin(i + 1)) };
    case DataType.INT64:
      return { dtype: type.elemType, dims, data: new BigInt64Array(count) };
    case DataType.INT32:
      return { dtype: type.elemType, dims, data: new Int32Array(count) };
    case DataType.UINT8:
      return { dtype: type.elemType, dims, data: Uint8Array.from({ length: count }, (_, i) => i % 256) };
    case DataType.INT8:
      return { dtype: type.elemType, dims, data: Int8Array.from({ length: count }, (_, i) => (i % 256) - 128) };
    case DataType.BOOL:
      return { dtype: type.elemType, dims, data: new Uint8Array(count).fill(1) };
    case DataType.FLOAT16:
      return { dtype: type.elemType, dims, data: new Uint16Array(count).fill(0x3c00) };
    default:
      throw new Error(`input '${input.name}' of type ${dtypeName(type.elemType)} needs an explicit feed`);
  }
}
