import { describe, expect, it } from 'vitest';
import type { Feeds, HostTensor, Runner } from '../runner/runner.js';
import { benchRunners, quantile, summarizeTimes } from './bench.js';

/** A runner whose every run advances a fake clock by the next of its durations, and logs its name. */
function fakeRunner(name: string, durations: number[], clock: { now: number }, log: string[]): Runner {
  let i = 0;
  return {
    inputs: [],
    outputs: [],
    async run(): Promise<Record<string, HostTensor>> {
      clock.now += durations[i++ % durations.length]!;
      log.push(name);
      return {};
    },
    async dispose() {},
  };
}

const feeds: Feeds = {};

describe('quantile', () => {
  it('interpolates between the nearest ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110], 0.1)).toBe(20);
    expect(quantile([0, 10], 0.9)).toBe(9);
    expect(quantile([7], 0.1)).toBe(7);
  });

  it('summarizes unsorted times', () => {
    expect(summarizeTimes([5, 1, 3])).toEqual({ medianMs: 3, p10Ms: 1.4, p90Ms: 4.6, meanMs: 3, minMs: 1, maxMs: 5 });
  });
});

describe('benchRunners', () => {
  it('warms up, interleaves A B then B A, and gives each model the median of its per-round ratios to the first', async () => {
    const clock = { now: 0 };
    const log: string[] = [];
    const a = fakeRunner('A', [10, 12, 11, 30, 10], clock, log);
    const b = fakeRunner('B', [4, 5, 6, 4, 5], clock, log);
    const result = await benchRunners([{ name: 'a', runner: a }, { name: 'b', runner: b }], feeds, { runs: 4, warmup: 1, clock: () => clock.now });
    expect(log).toEqual(['A', 'B', 'A', 'B', 'B', 'A', 'A', 'B', 'B', 'A']);
    // Warm-up took A's 10 and B's 4; timed: A 12, 11, 30, 10 and B 5, 6, 4, 5.
    const [ta, tb] = result.models;
    expect(ta).toMatchObject({ name: 'a', runs: 4, medianMs: 11.5, minMs: 10, maxMs: 30, meanMs: 63 / 4, ratio: 1 });
    expect(tb).toMatchObject({ name: 'b', runs: 4, medianMs: 5 });
    // Per round B over A: 5/12, 6/11, 4/30, 5/10; their median is the mean of the middle two.
    expect(tb!.ratio).toBeCloseTo((5 / 12 + 5 / 10) / 2, 12);
    expect(tb!.p10Ms).toBeCloseTo(4.3, 12);
    expect(tb!.p90Ms).toBeCloseTo(5.7, 12);
    expect(result).toMatchObject({ runs: 4, warmup: 1 });
  });

  it('with a time budget, stops once the timed runs have used it, but not before the minimum rounds', async () => {
    const clock = { now: 0 };
    const a = fakeRunner('A', [100], clock, []);
    const b = fakeRunner('B', [60], clock, []);
    const targets = [{ name: 'a', runner: a }, { name: 'b', runner: b }];
    // 160 ms a round: the budget of 400 is used after 3 rounds.
    const capped = await benchRunners(targets, feeds, { runs: 10, warmup: 0, budgetMs: 400, clock: () => clock.now });
    expect(capped.runs).toBe(3);
    expect(capped.models.map((m) => m.runs)).toEqual([3, 3]);
    expect(capped.models[1]!.ratio).toBeCloseTo(0.6, 12);
    // A budget spent by the first round still gets the minimum.
    expect((await benchRunners(targets, feeds, { runs: 10, warmup: 0, budgetMs: 1, minRuns: 2, clock: () => clock.now })).runs).toBe(2);
    // Without one, every run is done.
    expect((await benchRunners(targets, feeds, { runs: 5, warmup: 0, clock: () => clock.now })).runs).toBe(5);
  });

  it('refuses nonsense counts', async () => {
    const runner = fakeRunner('A', [1], { now: 0 }, []);
    await expect(benchRunners([{ name: 'a', runner }], feeds, { runs: 0 })).rejects.toThrow(/runs must be a whole number/);
    await expect(benchRunners([], feeds)).rejects.toThrow(/at least one model/);
  });
});
