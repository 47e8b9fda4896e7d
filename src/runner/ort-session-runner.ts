import type { InferenceSession, Tensor as OrtTensor, TypedTensor } from 'onnxruntime-common';
import { DataType, type TypedArray } from '../ir/dtype.js';
import { LowbitError, errorMessage } from '../errors.js';
import type { Feeds, HostTensor, Runner, RunnerIO, RunnerOptions, Spinning } from './runner.js';
import { fromOrtType, toOrtType } from './ort-types.js';
import { float16Bits, matchFeedTypes } from './feed-types.js';

/** The parts of an onnxruntime module (node or web build) this adapter uses; both have the same API. */
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array | string, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  Tensor: new (type: string, data: TypedArray | string[], dims: readonly number[]) => OrtTensor;
}

export function sessionOptions(options: RunnerOptions): InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: options.optimization ?? 'all',
    ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
    // Fatal only: onnxruntime's error lines (multi-line, coloured) repeat what its exception says,
    // and the exception reaches the user inside lowbit's own one-line error.
    logSeverityLevel: 4,
    ...spinningEntries(options.spinning ?? 'during-runs'),
  };
}

/** onnxruntime's session config entries for a spinning policy (see RunnerOptions.spinning). */
function spinningEntries(spinning: Spinning): Pick<InferenceSession.SessionOptions, 'extra'> {
  if (spinning === 'always') return {};
  if (spinning === 'off') return { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } };
  return { extra: { session: { force_spinning_stop: '1' } } };
}

/**
 * Host tensors as onnxruntime tensors, by input name. With `inputs` (the session's), float32 and
 * float16 feeds are first converted to the type each input takes (see matchFeedTypes).
 */
export function toOrtFeeds(ort: OrtModule, feeds: Feeds, inputs?: readonly RunnerIO[]): Record<string, OrtTensor> {
  const matched = inputs ? matchFeedTypes(feeds, inputs) : feeds;
  const out: Record<string, OrtTensor> = {};
  for (const [name, t] of Object.entries(matched)) out[name] = new ort.Tensor(toOrtType(t.dtype), t.data, t.dims);
  return out;
}

/** A session's inputs as RunnerIO, from the metadata onnxruntime reads from the model. */
export function sessionInputs(session: InferenceSession): RunnerIO[] {
  return describe(session.inputNames, session.inputMetadata);
}

export async function createSessionRunner(ort: OrtModule, source: string | Uint8Array, options: RunnerOptions, label: string): Promise<Runner> {
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(source, sessionOptions(options));
  } catch (error) {
    const file = typeof source === 'string' ? source : 'model';
    throw new LowbitError(`${file}: ${label} cannot load it: ${errorMessage(error)}`, { code: 'runtime-load-failed', file, cause: error });
  }
  return new SessionRunner(ort, session, label);
}

/** An onnxruntime InferenceSession behind the Runner interface. */
class SessionRunner implements Runner {
  readonly inputs: RunnerIO[];
  readonly outputs: RunnerIO[];

  constructor(
    private readonly ort: OrtModule,
    private readonly session: InferenceSession,
    private readonly label: string,
  ) {
    this.inputs = sessionInputs(session);
    this.outputs = describe(session.outputNames, session.outputMetadata);
  }

  async run(feeds: Feeds, outputNames?: string[]): Promise<Record<string, HostTensor>> {
    const ortFeeds = toOrtFeeds(this.ort, feeds, this.inputs);
    let results: InferenceSession.OnnxValueMapType;
    try {
      results = outputNames ? await this.session.run(ortFeeds, outputNames) : await this.session.run(ortFeeds);
    } catch (error) {
      throw new LowbitError(`${this.label} failed to run the model: ${errorMessage(error)}`, { code: 'runtime-failed', cause: error });
    }
    const out: Record<string, HostTensor> = {};
    for (const [name, value] of Object.entries(results)) {
      const t = value as TypedTensor<'float32'>;
      const dtype = fromOrtType(t.type);
      if (dtype === undefined) throw new LowbitError(`output '${name}' has a type lowbit cannot read (${t.type})`, { code: 'runtime-type' });
      const data = t.data as TypedArray;
      out[name] = { dtype, dims: [...t.dims], data: dtype === DataType.FLOAT16 ? float16Bits(data) : data };
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

function describe(names: readonly string[], metadata: readonly InferenceSession.ValueMetadata[]): RunnerIO[] {
  return names.map((name, i) => {
    const meta = metadata[i];
    if (meta && meta.isTensor) {
      return { name, dtype: fromOrtType(meta.type), dims: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' ? d : null)) };
    }
    return { name, dtype: undefined, dims: undefined };
  });
}
