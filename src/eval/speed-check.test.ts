import { describe, expect, it } from 'vitest';
import { describeSpeed, slowerThanFloatWarning, type SpeedCheck } from './speed-check.js';

const check = (ratio: number): SpeedCheck => ({ ratio, floatMs: 10, quantizedMs: 10 * ratio, runs: 10, threads: 2 });

describe('speed check', () => {
  it('says how much faster, or that it is slower', () => {
    expect(describeSpeed(check(0.5))).toBe("latency 0.500× float's (2.00× faster): 5.0 ms against 10.0 ms, median of 10 interleaved runs, 2 threads, this machine");
    expect(describeSpeed(check(1.3))).toContain("1.300× float's (slower)");
    expect(describeSpeed(check(1))).toContain('(no faster)');
  });

  it('warns only when the quantized model is not faster, with the reason for the mode', () => {
    expect(slowerThanFloatWarning(check(0.99), { mode: 'int8' })).toBeUndefined();
    const int8 = slowerThanFloatWarning(check(1.4), { mode: 'int8' })!;
    expect(int8).toMatch(/^the quantized model is NOT faster than float on this machine \(1\.40× float's time\): onnxruntime's int8 kernels/);
    expect(slowerThanFloatWarning(check(1), { mode: 'int8' }, true)).toContain('a lower --target-cosine');
    expect(slowerThanFloatWarning(check(2), { mode: 'fp16' })).toContain('GPUs (WebGPU)');
    expect(slowerThanFloatWarning(check(3), { mode: 'int8', activations: 'uint16' })).toContain('for fidelity, not speed');
    expect(slowerThanFloatWarning(check(1.1), { mode: 'int8', wideActivations: ['x'] })).toContain('--wide-activations');
    expect(slowerThanFloatWarning(check(1.1), { mode: 'weights-int8' })).toContain('for size');
    expect(slowerThanFloatWarning(check(1.1), { mode: 'dynamic' })).toContain('lowbit bench');
  });
});
