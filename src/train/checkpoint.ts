import { LowbitError } from '../errors.js';
import { Net } from './net.js';
import type { ModelSpec } from './spec.js';

const MAGIC = 'lowbit-checkpoint-1';

/**
 * A network's spec, parameters and state in one buffer: a JSON header (spec and whatever the caller
 * wants to keep beside it, e.g. how it was trained) followed by the float32 parameters and state.
 */
export function saveCheckpoint(net: Net, meta: Record<string, unknown> = {}): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ magic: MAGIC, spec: net.spec, params: net.params.length, state: net.state.length, meta }));
  const padded = Math.ceil((4 + header.length) / 4) * 4;
  const out = new Uint8Array(padded + 4 * (net.params.length + net.state.length));
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  out.set(new Uint8Array(net.params.buffer, net.params.byteOffset, net.params.byteLength), padded);
  out.set(new Uint8Array(net.state.buffer, net.state.byteOffset, net.state.byteLength), padded + net.params.byteLength);
  return out;
}

export function loadCheckpoint(bytes: Uint8Array, what = 'checkpoint'): { net: Net; meta: Record<string, unknown> } {
  const bad = (why: string) => new LowbitError(`${what}: not a lowbit training checkpoint (${why})`, { code: 'bad-checkpoint' });
  if (bytes.length < 4) throw bad('too short');
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  let header: { magic?: string; spec: ModelSpec; params: number; state: number; meta: Record<string, unknown> };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
  } catch {
    throw bad('unreadable header');
  }
  if (header.magic !== MAGIC) throw bad('wrong header');
  const net = new Net(header.spec);
  const padded = Math.ceil((4 + length) / 4) * 4;
  if (bytes.length !== padded + 4 * (header.params + header.state) || header.params !== net.params.length || header.state !== net.state.length) throw bad('sizes do not match its spec');
  // A copy: `bytes` may be a Node Buffer, whose slice() is a view of a larger, unaligned buffer.
  const floats = new Float32Array(Uint8Array.from(bytes.subarray(padded)).buffer);
  net.params.set(floats.subarray(0, header.params));
  net.state.set(floats.subarray(header.params));
  return { net, meta: header.meta };
}
