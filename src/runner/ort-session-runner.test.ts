import { describe, expect, it } from 'vitest';
import { sessionOptions } from './ort-session-runner.js';

describe('sessionOptions', () => {
  it('turns onnxruntime thread spinning off unless asked, and sets threads only when given', () => {
    const off = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
    expect(sessionOptions({})).toEqual({ graphOptimizationLevel: 'all', logSeverityLevel: 4, extra: off });
    expect(sessionOptions({ threads: 2, spinning: true, optimization: 'disabled' })).toEqual({ graphOptimizationLevel: 'disabled', intraOpNumThreads: 2, interOpNumThreads: 1, logSeverityLevel: 4 });
  });
});
