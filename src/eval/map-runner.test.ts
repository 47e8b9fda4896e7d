import { describe, expect, it } from 'vitest';
import { DataType } from '../ir/dtype.js';
import type { Feeds, HostTensor, Runner } from '../runner/runner.js';
import { openWithMapOutputs, withMapOutputs } from './map-runner.js';

/** A runner whose every output is `value` (one element), recording the names each run asked for. */
function fakeRunner(outputs: string[], value: number, log: string[][] = []): Runner & { disposed: boolean } {
  const runner = {
    disposed: false,
    inputs: [{ name: 'x', dtype: DataType.FLOAT, dims: [1] }],
    outputs: outputs.map((name) => ({ name, dtype: DataType.FLOAT, dims: [1] })),
    async run(_feeds: Feeds, names?: string[]): Promise<Record<string, HostTensor>> {
      const wanted = names ?? outputs;
      log.push(wanted);
      return Object.fromEntries(wanted.map((n) => [n, { dtype: DataType.FLOAT, dims: [1], data: Float32Array.of(value) }]));
    },
    async dispose() {
      runner.disposed = true;
    },
  };
  return runner;
}

const feeds: Feeds = { x: { dtype: DataType.FLOAT, dims: [1], data: Float32Array.of(0) } };

describe('withMapOutputs', () => {
  it('takes every output of the model from the model as it is and only the maps from the copy', async () => {
    const plainLog: string[][] = [];
    const copyLog: string[][] = [];
    const plain = fakeRunner(['offsets', 'scores'], 1, plainLog);
    // The copy computes the mask differently (2): that value must never be reported.
    const copy = fakeRunner(['offsets', 'scores', 'heat'], 2, copyLog);
    const runner = withMapOutputs(plain, copy, ['heat']);
    expect(runner.outputs.map((o) => o.name)).toEqual(['offsets', 'scores', 'heat']);
    const out = await runner.run(feeds);
    expect(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data[0]]))).toEqual({ offsets: 1, scores: 1, heat: 2 });
    expect(plainLog).toEqual([['offsets', 'scores']]);
    expect(copyLog).toEqual([['heat']]);
    // Asked for model outputs only, the copy does not run.
    await runner.run(feeds, ['scores']);
    expect(copyLog).toHaveLength(1);
    await runner.dispose();
    expect(plain.disposed && copy.disposed).toBe(true);
  });

  it('opens the model alone when there is no copy, and closes the model when the copy fails to open', async () => {
    const plain = fakeRunner(['y'], 1);
    expect(await openWithMapOutputs(async () => plain, 'model.onnx', undefined, ['heat'])).toBe(plain);
    const opened = fakeRunner(['y'], 1);
    const open = async (source: string | Uint8Array) => {
      if (typeof source !== 'string') throw new Error('copy refused');
      return opened;
    };
    await expect(openWithMapOutputs(open, 'model.onnx', new Uint8Array(1), ['heat'])).rejects.toThrow('copy refused');
    expect(opened.disposed).toBe(true);
  });

  it('told what to do when the copy fails (quantize\'s verification), returns the model alone and says why', async () => {
    const opened = fakeRunner(['y'], 1);
    const open = async (source: string | Uint8Array) => {
      if (typeof source !== 'string') throw new Error('copy refused');
      return opened;
    };
    const reasons: string[] = [];
    const runner = await openWithMapOutputs(open, 'model.onnx', new Uint8Array(1), ['heat'], (error) => reasons.push(error.message));
    expect(runner).toBe(opened);
    expect(opened.disposed).toBe(false);
    expect(reasons).toEqual(['copy refused']);
    // A model that does not load still fails, whatever the callback.
    const broken = async () => {
      throw new Error('model refused');
    };
    await expect(openWithMapOutputs(broken, 'model.onnx', new Uint8Array(1), ['heat'], () => {})).rejects.toThrow('model refused');
  });
});
