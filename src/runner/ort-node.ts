import * as ort from 'onnxruntime-node';
import { DataType, type TypedArray } from '../ir/dtype.js';
import { LowbitError, errorMessage } from '../errors.js';
import type { Feeds, HostTensor, Runner, RunnerIO, RunnerOptions } from './runner.js';
import { fromOrtType, toOrtType } from './ort-types.js';

/**
 * onnxruntime-node behind the Runner interface. `source` is a path (external data is found next to
 * it) or the model's bytes.
 */
export async function createNodeRunner(source: string | Uint8Array, options: RunnerOptions = {}): Promise<Runner> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: options.optimization ?? 'all',
    ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
    logSeverityLevel: 3,
  };
  let session: ort.InferenceSession;
  try {
    session =
      typeof source === 'string'
        ? await ort.InferenceSession.create(source, sessionOptions)
        : await ort.InferenceSession.create(source, sessionOptions);
  } catch (error) {
    const label = typeof source === 'string' ? source : 'model';
    throw new LowbitError(`${label}: onnxruntime cannot load it: ${errorMessage(error)}`, { code: 'runtime-load-failed', file: label, cause: error });
  }
  return new OrtNodeRunner(session);
}

class OrtNodeRunner implements Runner {
  readonly inputs: RunnerIO[];
  readonly outputs: RunnerIO[];

  constructor(private readonly session: ort.InferenceSession) {
    this.inputs = describe(session.inputNames, session.inputMetadata);
    this.outputs = describe(session.outputNames, session.outputMetadata);
  }

  async run(feeds: Feeds, outputNames?: string[]): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      ortFeeds[name] = new ort.Tensor(toOrtType(t.dtype) as 'float32', t.data as Float32Array, t.dims);
    }
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = outputNames ? await this.session.run(ortFeeds, outputNames) : await this.session.run(ortFeeds);
    } catch (error) {
      throw new LowbitError(`onnxruntime failed to run the model: ${errorMessage(error)}`, { code: 'runtime-failed', cause: error });
    }
    const out: Record<string, HostTensor> = {};
    for (const [name, value] of Object.entries(results)) {
      const t = value as ort.Tensor;
      const dtype = fromOrtType(t.type);
      if (dtype === undefined) throw new LowbitError(`output '${name}' has a type lowbit cannot read (${t.type})`, { code: 'runtime-type' });
      out[name] = { dtype, dims: [...t.dims], data: t.data as TypedArray | string[] };
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

function describe(names: readonly string[], metadata: readonly ort.InferenceSession.ValueMetadata[]): RunnerIO[] {
  return names.map((name, i) => {
    const meta = metadata[i];
    if (meta && meta.isTensor) {
      return {
        name,
        dtype: fromOrtType(meta.type),
        dims: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' ? d : null)),
      };
    }
    return { name, dtype: undefined, dims: undefined };
  });
}

