/**
 * The cosine of two peak masks (eval/peak-masks.ts) with each peak allowed to move by one pixel.
 *
 * A peak mask keeps a map's local maxima and zeroes the rest, so its plain cosine against float
 * counts a peak that moved to the next pixel as one peak lost and another found. On a ridge the
 * maximum sits between near-equal neighbours, and noise far below int8's moves it: mlsd's scores
 * fall to 0.981 on 17 photos when fp32's input pixels move by ± half an 8-bit step, and to 0.956 at
 * ± one step, while the same detections, peaks matched within a pixel, stay at 0.999 and 0.998.
 * What a user of the mask reads is which peaks were found and how strong; this figure says that.
 *
 * Pairing, per sample: peaks on the same pixel pair first (that is the plain cosine's dot product).
 * Each float peak left, strongest first, then pairs with the unpaired candidate peak within one
 * pixel (in height and width, in the same plane) whose product with it is largest, if positive. Peaks
 * left unpaired count against the figure as the plain cosine counts them. The norms are the plain
 * cosine's, so the figure is never below the plain cosine and equals it when no peak moved.
 */
export interface PeakGrid {
  /** The map's height and width: the mask's elements are planes of height × width, row by row. */
  height: number;
  width: number;
}

/** Pooled over samples as FidelityAccumulator pools the cosine: running sums only. */
export class PeakMatchAccumulator {
  private dot = 0;
  private refSq = 0;
  private outSq = 0;
  private samples = 0;
  /** A sample that was not whole planes of the grid, or held NaN or ±Infinity: no figure then. */
  private spoiled = false;

  constructor(private readonly grid: PeakGrid) {}

  add(reference: ArrayLike<number>, output: ArrayLike<number>): void {
    const plane = this.grid.height * this.grid.width;
    let finite = true;
    for (let i = 0; i < reference.length && finite; i++) finite = Number.isFinite(reference[i]!) && Number.isFinite(output[i]!);
    if (!finite || reference.length !== output.length || plane === 0 || reference.length % plane !== 0) {
      this.spoiled = true;
      return;
    }
    for (let i = 0; i < reference.length; i++) {
      this.refSq += reference[i]! * reference[i]!;
      this.outSq += output[i]! * output[i]!;
    }
    this.dot += matchedDot(reference, output, this.grid);
    this.samples++;
  }

  /** Undefined when there were no samples or one could not be compared; 1 when neither has a peak. */
  cosine(): number | undefined {
    if (this.spoiled || this.samples === 0) return undefined;
    if (this.refSq === 0 && this.outSq === 0) return 1;
    return this.dot / Math.sqrt(this.refSq * this.outSq || Number.MIN_VALUE);
  }
}

/** Σ reference·output over the pairs described above, for one sample. */
export function matchedDot(reference: ArrayLike<number>, output: ArrayLike<number>, grid: PeakGrid): number {
  const { height, width } = grid;
  const paired = new Uint8Array(output.length);
  const left: number[] = [];
  let dot = 0;
  for (let i = 0; i < reference.length; i++) {
    if (reference[i] === 0) continue;
    if (output[i] !== 0) {
      dot += reference[i]! * output[i]!;
      paired[i] = 1;
    } else {
      left.push(i);
    }
  }
  left.sort((a, b) => Math.abs(reference[b]!) - Math.abs(reference[a]!) || a - b);
  const plane = height * width;
  for (const i of left) {
    const base = i - (i % plane);
    const y = Math.floor((i % plane) / width);
    const x = i % width;
    let best = -1;
    let bestProduct = 0;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy;
        const xx = x + dx;
        if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
        const j = base + yy * width + xx;
        if (paired[j] || output[j] === 0) continue;
        const product = reference[i]! * output[j]!;
        if (product > bestProduct) {
          bestProduct = product;
          best = j;
        }
      }
    }
    if (best >= 0) {
      paired[best] = 1;
      dot += bestProduct;
    }
  }
  return dot;
}
