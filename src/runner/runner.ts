import type { DataType, TypedArray } from '../ir/dtype.js';

/** A tensor handed to or returned from a runtime. float16 data is carried as Uint16Array bits. */
export interface HostTensor {
  dtype: DataType;
  dims: number[];
  data: TypedArray | string[];
}

export type Feeds = Record<string, HostTensor>;

export interface RunnerIO {
  name: string;
  dtype: DataType | undefined;
  /** Dims as the runtime reports them: numbers, symbolic names, or null when unknown. */
  dims: (number | string | null)[] | undefined;
}

export type Spinning = 'during-runs' | 'always' | 'off';

export interface RunnerOptions {
  /** Intra-op threads (default: the runtime's own choice). */
  threads?: number;
  /** 'disabled' runs the graph as written: tests compare numerics that way. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * When onnxruntime's idle worker threads busy-wait for the next parallel section (default
   * 'during-runs'):
   *  · 'during-runs': they spin inside a run, as onnxruntime's default has them do, and stop when
   *    the run returns (onnxruntime's session.force_spinning_stop). A model of many small ops
   *    needs the spin: woken from sleep for each parallel section, the mailwoman transformer's
   *    Add, Transpose and LayerNormalization took twice as long at 2 threads as at 1.
   *  · 'always': onnxruntime's own default; threads keep spinning after a run returns. When
   *    lowbit alternates models (bench, --float-where-faster), an idle session's spinning threads
   *    take the cores from the one running: on the 2-core test machine, a ratio of two models
   *    moved 14.4% between two runs this way (bench/bench-reproducibility.mjs).
   *  · 'off': threads sleep between parallel sections.
   */
  spinning?: Spinning;
}

/**
 * What lowbit needs from an inference runtime. Only files under runner/ import onnxruntime; the
 * rest of the code sees this interface.
 */
export interface Runner {
  readonly inputs: readonly RunnerIO[];
  readonly outputs: readonly RunnerIO[];
  /**
   * float32 feeds for float16 inputs are converted (rounding half to even), and float16 feeds for
   * float32 inputs; other type mismatches fail with code 'input-type-mismatch'. float16 outputs
   * come back as Uint16Array bits (eval/verify.ts `asNumbers` decodes them).
   */
  run(feeds: Feeds, outputNames?: string[]): Promise<Record<string, HostTensor>>;
  dispose(): Promise<void>;
}
