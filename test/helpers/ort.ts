import { createNodeRunner } from '../../src/runner/ort-node.js';
import type { Feeds, HostTensor } from '../../src/runner/runner.js';
import { seededRandom } from '../../src/util/random.js';

export { seededRandom };

/** Run a model (bytes or path) once in onnxruntime-node, graph optimizations off, and dispose it. */
export async function runOnce(model: Uint8Array | string, feeds: Feeds, optimization: 'disabled' | 'all' = 'disabled'): Promise<Record<string, HostTensor>> {
  const runner = await createNodeRunner(model, { optimization, threads: 1 });
  try {
    return await runner.run(feeds);
  } finally {
    await runner.dispose();
  }
}


export function randomFloats(count: number, seed: number, scale = 1): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

/** Bitwise equality of two outputs (NaN patterns included). */
export function sameBits(a: HostTensor, b: HostTensor): boolean {
  if (a.dtype !== b.dtype || a.dims.join() !== b.dims.join()) return false;
  if (Array.isArray(a.data) || Array.isArray(b.data)) return JSON.stringify(a.data) === JSON.stringify(b.data);
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
