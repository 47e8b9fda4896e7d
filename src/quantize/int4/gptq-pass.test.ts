import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { ExternalTensor } from '../../ir/tensor/external.js';
import { defaultTensorMeta } from '../../ir/tensor/tensor.js';
import { quantize } from '../quantize.js';

describe('gptq on a model over 2 GiB', () => {
  it('stops before any work with an error that says why and names the methods that stream', async () => {
    // A [32768, 16896] float weight in external data: 2.06 GiB that is never read.
    const [k, n] = [32768, 16896];
    const source = {
      label: 'nowhere',
      size: () => k * n * 4,
      read: (): Uint8Array => {
        throw new Error('the weight must not be read');
      },
    };
    const b = new GraphBuilder(17);
    const x = b.input('x', DataType.FLOAT, [1, k]);
    const w = b.initializer('w', new ExternalTensor(DataType.FLOAT, [k, n], { location: 'w.bin', offset: 0, length: k * n * 4, extra: [] }, source, defaultTensorMeta('w')));
    b.output(b.op('MatMul', [x, w]), DataType.FLOAT, [1, n]);
    const calibration = {
      source: { label: 'none', size: 0, async *samples() {} },
      createRunner: () => Promise.reject(new Error('onnxruntime must not be started')),
    };
    await expect(quantize(b.model, { mode: 'int4', int4Method: 'gptq', int4Calibration: calibration })).rejects.toThrow(
      /gptq runs the model in onnxruntime from memory.*2\.06 GiB\. Use --int4-method rtn or hqq, which stream/,
    );
  });
});
