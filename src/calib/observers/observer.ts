/** A real range to quantize a tensor with (the scale code widens it to contain 0 where needed). */
export interface Range {
  min: number;
  max: number;
}

/**
 * Watches one tensor across calibration samples. Memory is fixed: nothing of a batch is kept once
 * `observe` returns, so calibrating on 10× more samples costs time, not memory.
 */
export interface Observer {
  observe(values: Float32Array): void;
  /** The range to use; undefined when no finite value was seen. */
  range(): Range | undefined;
  /** Bytes held between batches (constant once the first batch is in). */
  retainedBytes(): number;
}
