import { describe, expect, it } from 'vitest';
import { fidelityWarning } from './quantize-advice.js';

describe('the low-cosine advice of quantize', () => {
  const low = [{ name: 'y', cosine: 0.9 }];
  const advice = (settings: Parameters<typeof fidelityWarning>[1]) => fidelityWarning(low, settings)!.split('cost most; ')[1];

  it('is given only for an output below cosine 0.98', () => {
    expect(fidelityWarning([{ name: 'y', cosine: 0.99 }], { mode: 'int8' })).toBeUndefined();
    expect(fidelityWarning(low, { mode: 'int8' })).toMatch(/^'y' \(cosine 0\.9000\) is below cosine 0\.98 against float: `--report FILE\.html`/);
  });

  it('int8: suggests only the fixes not used already', () => {
    expect(advice({ mode: 'int8', calib: true })).toBe(
      '`--target-cosine 0.98` keeps the costliest in float (`--float-where-faster` the Convs int8 does not speed up), `--weight-method gptq` rounds weights from their inputs, and `--bias-correction` takes back the mean drift of each layer',
    );
    const used = advice({ mode: 'int8', calib: true, weightMethod: 'gptq', biasCorrection: true });
    expect(used).not.toContain('--weight-method');
    expect(used).not.toContain('--bias-correction');
    expect(used).toContain('`--target-cosine 0.98`');
    expect(advice({ mode: 'int8', calib: true, biasCorrection: true })).not.toContain('--bias-correction');
    expect(advice({ mode: 'int8', calib: true, floatWhereFaster: true })).toContain('`--target-cosine 0.98` keeps the costliest in float (instead of `--float-where-faster`)');
    // Everything tried: what is left is to keep the layers in float by name.
    expect(advice({ mode: 'int8', calib: true, weightMethod: 'gptq', biasCorrection: true, targetCosine: 0.98 })).toBe('`--exclude` leaves them in float');
  });

  it('weights-int8 and int4: the same, and --calib SOURCE only when it was not given', () => {
    expect(advice({ mode: 'weights-int8' })).toBe('`--exclude` leaves them in float, `--weight-method gptq --calib SOURCE` rounds weights from their inputs, and `--bias-correction --calib SOURCE` takes back the mean drift of each Conv and Gemm');
    expect(advice({ mode: 'weights-int8', calib: true, weightMethod: 'gptq', biasCorrection: true })).toBe('`--exclude` leaves them in float');
    expect(advice({ mode: 'weights-int8', calib: true, weightMethod: 'gptq' })).toBe('`--exclude` leaves them in float, and `--bias-correction` takes back the mean drift of each Conv and Gemm');
    expect(advice({ mode: 'int4' })).toBe('`--int4-method gptq --calib SOURCE` rounds weights from their inputs, a smaller `--block-size` gives each scale fewer weights, and `--exclude` leaves the worst layers in float');
    expect(advice({ mode: 'int4', int4Method: 'gptq', calib: true, blockSize: 16 })).toBe('`--exclude` leaves the worst layers in float');
  });
});
