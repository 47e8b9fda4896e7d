import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, progressLine } from './progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => writes.push(s) } };
}

describe('progress', () => {
  it('formats counts, notes and time left', () => {
    expect(progressLine('calibrating', 120, 500, 'samples', 42)).toBe('calibrating 120/500 samples · 0:42 left');
    expect(progressLine('calibrating', 3, undefined, 'samples')).toBe('calibrating 3 samples');
    expect(progressLine('calibrating', 7, 42, 'samples', 65, 'group 2/7')).toBe('calibrating 7/42 samples · group 2/7 · 1:05 left');
    expect(progressLine('verifying', 10, 10, 'samples', 0)).toBe('verifying 10/10 samples');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(0.4)).toBe('0:00');
  });

  it('rewrites one line in place on a terminal, at most 10 times a second', () => {
    let t = 0;
    const { writes, stream } = fakeStream(true);
    const p = createProgress({ label: 'calibrating', stream, now: () => t });
    for (let i = 1; i <= 10; i++) {
      t = i * 30;
      p.update(i, 10);
    }
    p.finish();
    expect(writes.every((w) => w.startsWith('\r') && w.includes('\x1b[K'))).toBe(true);
    expect(writes.length).toBeLessThan(6);
    // Time left from the rate so far: 1 sample per 30 ms.
    expect(writes[0]).toBe('\rcalibrating 1/10 samples · 0:00 left\x1b[K');
    expect(writes.at(-1)).toBe('\rcalibrating 10/10 samples\x1b[K\n');
  });

  it('prints a line every few seconds in a log, and nothing when silent', () => {
    let t = 0;
    const log = fakeStream(false);
    const p = createProgress({ label: 'calibrating', stream: log.stream, now: () => t, intervalMs: 5000 });
    for (let i = 1; i <= 100; i++) {
      t = i * 200; // 20 s in all
      p.update(i, 100, { etaSeconds: (100 - i) * 0.2 });
    }
    p.finish('calibrated 100 samples in 0:20');
    expect(log.writes).toEqual([
      'calibrating 1/100 samples · 0:20 left\n',
      'calibrating 26/100 samples · 0:15 left\n',
      'calibrating 51/100 samples · 0:10 left\n',
      'calibrating 76/100 samples · 0:05 left\n',
      'calibrated 100 samples in 0:20\n',
    ]);
    const quiet = fakeStream(true);
    const q = createProgress({ label: 'calibrating', stream: quiet.stream, silent: true });
    q.update(1, 2);
    q.finish();
    expect(quiet.writes).toEqual([]);
  });
});
