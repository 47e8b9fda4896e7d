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

export interface RunnerOptions {
  /** Intra-op threads (default: the runtime's own choice). */
  threads?: number;
  /** 'disabled' runs the graph as written: tests compare numerics that way. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Whether onnxruntime's idle worker threads busy-wait for the next parallel section. Off unless
   * set (onnxruntime's own default is on): lowbit alternates its own work with runs, and on a
   * machine whose cores are shared, spinning threads take the cores from the ones computing. On
   * the 2-core test machine a ratio of two models moved 14.4% between two runs with spinning and
   * 1.2% without (bench/bench-reproducibility.mjs; `lowbit bench --spin` times with spinning).
   */
  spinning?: boolean;
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
