/** How close a quantized output is to its float twin. */
export interface FidelityMetrics {
  cosine: number;
  /** Signal-to-quantization-noise ratio: 10·log10(Σref² / Σ(ref−q)²); Infinity when identical. */
  sqnrDb: number;
  maxAbsError: number;
  meanAbsError: number;
  /** Share of rows whose argmax agrees, when the output looks like class scores; else undefined. */
  top1Agreement?: number;
  /**
   * Elements that are NaN or ±Infinity in the quantized output where the float output is finite.
   * They are left out of the figures above too (which then describe only the rest); callers warn.
   */
  nonFinite: number;
  /**
   * Elements that are NaN or ±Infinity in the float (reference) output, unless the quantized output
   * holds the same value there. They are left out of every figure above: a float model that gives
   * NaN (on inputs holding NaN, say) has nothing to compare with. When every element is left out,
   * cosine and SQNR are NaN, not a perfect match.
   */
  referenceNonFinite: number;
}

/** Running sums so that metrics over many samples cost no memory per sample. */
export class FidelityAccumulator {
  private dot = 0;
  private refSq = 0;
  private outSq = 0;
  private errSq = 0;
  private maxAbs = 0;
  private absSum = 0;
  private count = 0;
  private nonFinite = 0;
  private referenceNonFinite = 0;
  private rows = 0;
  private agreeing = 0;

  /** Add one sample; `classAxisSize` > 1 turns on top-1 agreement over the last axis. */
  add(reference: ArrayLike<number>, output: ArrayLike<number>, classAxisSize?: number): void {
    if (reference.length !== output.length) throw new RangeError(`outputs differ in size: ${reference.length} vs ${output.length}`);
    for (let i = 0; i < reference.length; i++) {
      const r = reference[i]!;
      const q = output[i]!;
      if (!Number.isFinite(r) || !Number.isFinite(q)) {
        // The same infinity (a masked logit) or NaN in both agrees; anything else is counted.
        if (Object.is(r, q)) this.count++;
        else if (Number.isFinite(r)) this.nonFinite++;
        else this.referenceNonFinite++;
        continue;
      }
      const e = r - q;
      this.dot += r * q;
      this.refSq += r * r;
      this.outSq += q * q;
      this.errSq += e * e;
      const a = Math.abs(e);
      if (a > this.maxAbs) this.maxAbs = a;
      this.absSum += a;
      this.count++;
    }
    if (classAxisSize && classAxisSize > 1) {
      for (let start = 0; start + classAxisSize <= reference.length; start += classAxisSize) {
        this.rows++;
        if (argmax(reference, start, classAxisSize) === argmax(output, start, classAxisSize)) this.agreeing++;
      }
    }
  }

  result(): FidelityMetrics {
    // Every element left out (non-finite on either side): no figure, rather than a perfect one.
    const nothingCompared = this.count === 0 && this.referenceNonFinite + this.nonFinite > 0;
    const cosine = nothingCompared ? NaN : this.refSq === 0 && this.outSq === 0 ? 1 : this.dot / Math.sqrt(this.refSq * this.outSq || Number.MIN_VALUE);
    const sqnrDb = nothingCompared ? NaN : this.errSq === 0 ? Infinity : 10 * Math.log10(this.refSq / this.errSq);
    return {
      cosine,
      sqnrDb,
      maxAbsError: nothingCompared ? NaN : this.maxAbs,
      meanAbsError: nothingCompared ? NaN : this.count ? this.absSum / this.count : 0,
      ...(this.rows && !nothingCompared ? { top1Agreement: this.agreeing / this.rows } : {}),
      nonFinite: this.nonFinite,
      referenceNonFinite: this.referenceNonFinite,
    };
  }
}

/** Index of the largest value in [start, start + length); ties go to the lowest index. */
export function argmax(values: ArrayLike<number>, start = 0, length = values.length - start): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < length; i++) {
    const v = values[start + i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/**
 * Whether an output looks like class scores: a last axis of 2 to 100,000 classes that is not a
 * spatial map (rank ≤ 3, e.g. [batch, classes] or [batch, tokens, vocab]).
 */
export function classAxisSize(dims: readonly number[]): number | undefined {
  if (dims.length < 2 || dims.length > 3) return undefined;
  const last = dims[dims.length - 1]!;
  return last >= 2 && last <= 100_000 ? last : undefined;
}
