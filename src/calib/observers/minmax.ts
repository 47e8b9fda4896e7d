import { finiteRange } from './finite-range.js';
import type { Observer, Range } from './observer.js';

/**
 * The extremes seen, or with `movingAverage` = c an exponential moving average of each sample's
 * extremes (min ← min + c·(batchMin − min), first sample taken as is), as onnxruntime's MinMax
 * calibrator does: one unusual sample then moves the range by a fraction c instead of setting it.
 */
export class MinMaxObserver implements Observer {
  private min = Infinity;
  private max = -Infinity;
  private seen = false;

  constructor(private readonly movingAverage?: number) {
    if (movingAverage !== undefined && !(movingAverage > 0 && movingAverage <= 1)) {
      throw new RangeError(`moving-average constant must be in (0, 1], not ${movingAverage}`);
    }
  }

  observe(values: Float32Array): void {
    const batch = finiteRange(values);
    if (!(batch.min <= batch.max)) return;
    const c = this.movingAverage;
    if (c === undefined || !this.seen) {
      this.min = c === undefined ? Math.min(this.min, batch.min) : batch.min;
      this.max = c === undefined ? Math.max(this.max, batch.max) : batch.max;
    } else {
      this.min += c * (batch.min - this.min);
      this.max += c * (batch.max - this.max);
    }
    this.seen = true;
  }

  range(): Range | undefined {
    return this.seen ? { min: this.min, max: this.max } : undefined;
  }

  retainedBytes(): number {
    return 0;
  }
}
