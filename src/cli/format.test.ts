import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../diagnostics.js';
import { diagnosticLines } from './format.js';

describe('diagnosticLines', () => {
  it('says one thing of several tensors in one line, and keeps the rest as they are', () => {
    const noValue = (value: string): Diagnostic => ({ code: 'calib-no-values', severity: 'warning', value, reason: 'no value was computed' });
    const lines = diagnosticLines([noValue('a'), noValue('b'), { code: 'x', severity: 'warning', node: 'n', opType: 'Conv', reason: 'other' }, noValue('c'), noValue('d'), noValue('e')]);
    expect(lines).toEqual(["warning at 'a', 'b', 'c' and 2 more (5 tensors): no value was computed [calib-no-values]", "warning at Conv 'n': other [x]"]);
    expect(diagnosticLines([noValue('a')])).toEqual(["warning at 'a': no value was computed [calib-no-values]"]);
  });
});
