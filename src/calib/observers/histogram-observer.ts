import { StreamingHistogram, type Histogram } from './histogram.js';
import type { Observer, Range } from './observer.js';

/** Collects a streaming histogram and turns it into a range once all samples are in. */
export class HistogramObserver implements Observer {
  private readonly histogram: StreamingHistogram;

  constructor(
    private readonly choose: (h: Histogram) => Range,
    slots?: number,
  ) {
    this.histogram = new StreamingHistogram(slots);
  }

  observe(values: Float32Array): void {
    this.histogram.observe(values);
  }

  range(): Range | undefined {
    const h = this.histogram.snapshot();
    return h && this.choose(h);
  }

  retainedBytes(): number {
    return this.histogram.retainedBytes();
  }
}
