// Test support, not library code: runs a fixture in onnxruntime before and after opset conversion.
// (tsconfig.build.json should exclude *.test-support.ts; until it does this file is built but unused.)
import { expect } from 'vitest';
import { formatDiagnostic } from '../../src/diagnostics.js';
import { PassError } from '../../src/errors.js';
import { errorsOf, checkModel } from '../../src/ir/checker.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { DataType } from '../../src/ir/dtype.js';
import type { Model } from '../../src/ir/model.js';
import { DenseTensor } from '../../src/ir/tensor/dense.js';
import { createNodeRunner } from '../../src/runner/ort-node.js';
import type { Feeds, HostTensor } from '../../src/runner/runner.js';
import { decodeModel } from '../../src/serde/decode.js';
import { encodeModel } from '../../src/serde/encode.js';
import { seededRandom } from '../../src/util/random.js';
import { convertOpset } from '../../src/passes/convert-opset/convert-opset.js';

export interface EquivalenceCase {
  /** The opset the fixture is built at. */
  from: number;
  build(b: GraphBuilder): void;
  feeds: Feeds;
  /** Opsets to convert to (default 13 and 21). */
  targets?: number[];
  /** 'bits' when the converted graph computes the same thing; a relative tolerance when it decomposes differently. */
  tolerance?: 'bits' | number;
}

/**
 * Build the fixture, run it in onnxruntime (optimizations off), convert a fresh copy to each target,
 * check it, run it on the same feeds and compare every output. Returns the converted models by target.
 */
export async function expectEquivalent(c: EquivalenceCase): Promise<Map<number, Model>> {
  const b = new GraphBuilder(c.from);
  c.build(b);
  const original = encodeModel(b.model);
  const expected = await run(original, c.feeds);
  const converted = new Map<number, Model>();
  for (const target of c.targets ?? [13, 21]) {
    const model = decodeModel(original);
    convertOpset(model, target);
    expect(model.opset('')).toBe(target);
    const errors = errorsOf(checkModel(model));
    expect(errors.map(formatDiagnostic), `checker after converting to ${target}`).toEqual([]);
    const actual = await run(encodeModel(model), c.feeds);
    expectSameOutputs(actual, expected, c.tolerance ?? 'bits', `opset ${c.from} → ${target}`);
    converted.set(target, model);
  }
  return converted;
}

/**
 * Build the fixture and expect the conversion to `target` to refuse it with a PassError
 * ('opset-unsupported') whose message matches `reason`, leaving the model byte-for-byte as it was.
 */
export function expectRefused(from: number, build: (b: GraphBuilder) => void, target: number, reason: RegExp): PassError {
  const b = new GraphBuilder(from);
  build(b);
  const before = encodeModel(b.model);
  let error: unknown;
  try {
    convertOpset(b.model, target);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PassError);
  const passError = error as PassError;
  expect(passError.code).toBe('opset-unsupported');
  expect(passError.message).toMatch(reason);
  expect(encodeModel(b.model)).toEqual(before);
  return passError;
}

export async function run(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, HostTensor>> {
  const runner = await createNodeRunner(bytes, { optimization: 'disabled', threads: 1 });
  try {
    return await runner.run(feeds);
  } finally {
    await runner.dispose();
  }
}

export function expectSameOutputs(actual: Record<string, HostTensor>, expected: Record<string, HostTensor>, tolerance: 'bits' | number, label: string): void {
  expect(Object.keys(actual).sort(), label).toEqual(Object.keys(expected).sort());
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name]!;
    expect({ dtype: got.dtype, dims: got.dims }, `${label}: '${name}'`).toEqual({ dtype: want.dtype, dims: want.dims });
    const a = Array.from(got.data as ArrayLike<number | bigint>, Number);
    const e = Array.from(want.data as ArrayLike<number | bigint>, Number);
    const bad = e.findIndex((w, i) => !(tolerance === 'bits' ? Object.is(a[i], w) : close(a[i]!, w, tolerance)));
    expect(bad === -1 ? 'all equal' : `element ${bad}: ${a[bad]} instead of ${e[bad]}`, `${label}: '${name}'`).toBe('all equal');
  }
}

/** Relative closeness, with values near zero compared at the same scale as values near one. */
function close(a: number, b: number, relative: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= relative * Math.max(Math.abs(a), Math.abs(b), 1);
}

/** A float32 feed of uniform values in [-scale, scale), the same for the same seed. */
export function floatFeed(dims: number[], seed: number, scale = 3): HostTensor {
  const rand = seededRandom(seed);
  const data = new Float32Array(dims.reduce((x, y) => x * y, 1));
  for (let i = 0; i < data.length; i++) data[i] = (rand() * 2 - 1) * scale;
  return { dtype: DataType.FLOAT, dims, data };
}

/** A float32 weight tensor of uniform values in [-scale, scale). */
export function floatTensor(dims: number[], seed: number, scale = 1): DenseTensor {
  return DenseTensor.fromTyped(DataType.FLOAT, dims, floatFeed(dims, seed, scale).data as Float32Array);
}

export function int64Feed(dims: number[], values: number[]): HostTensor {
  return { dtype: DataType.INT64, dims, data: BigInt64Array.from(values, (v) => BigInt(v)) };
}

/** Op types of the main graph in order, for asserting what a conversion emitted. */
export function opTypes(model: Model): string[] {
  return [...model.graph.nodes].map((n) => n.opType);
}
