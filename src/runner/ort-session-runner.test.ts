import { describe, expect, it } from 'vitest';
import { sessionOptions } from './ort-session-runner.js';

describe('sessionOptions', () => {
  it('lets onnxruntime threads spin only during runs unless asked otherwise, and sets threads only when given', () => {
    expect(sessionOptions({})).toEqual({ graphOptimizationLevel: 'all', logSeverityLevel: 4, extra: { session: { force_spinning_stop: '1' } } });
    const off = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
    expect(sessionOptions({ spinning: 'off' })).toEqual({ graphOptimizationLevel: 'all', logSeverityLevel: 4, extra: off });
    expect(sessionOptions({ threads: 2, spinning: 'always', optimization: 'disabled' })).toEqual({ graphOptimizationLevel: 'disabled', intraOpNumThreads: 2, interOpNumThreads: 1, logSeverityLevel: 4 });
  });
});
