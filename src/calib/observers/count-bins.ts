// The counting loops of StreamingHistogram: every activation value of every sample goes through
// them, so they are written for speed (see bench/calib-time.mjs) and kept apart from the bookkeeping.

export interface InsidePass {
  /** Extremes of the batch (±Inf included, NaN not). */
  min: number;
  max: number;
  /** Values not counted: outside the bins, or NaN. */
  outside: number;
}

// Four interleaved lanes of counters: consecutive values often land in the same bin, and one counter
// array would make every increment wait for the previous one. A value's lane slot is its bin + 1,
// clamped into [0, bins + 1]: the two end slots are sinks that collect, without a branch, the values
// beyond the bins and NaN (which Math.max turns into NaN and `| 0` into 0). Clamping as doubles
// first keeps a far outlier from wrapping around under `| 0`; Math.floor before the shift keeps the
// bin exact for values far smaller than a bin (adding first could round them up).
const LANES = 4;
let scratch = new Uint32Array(0);

/** Count the values that fall within the bins; report the batch's extremes and how many did not. */
export function countInside(values: Float32Array, counts: Float64Array, scale: number, offset: number): InsidePass {
  const n = values.length;
  const bins = counts.length;
  if (n < LANES * bins) return countInsideDirect(values, counts, scale, offset);
  const stride = bins + 2;
  if (scratch.length < LANES * stride) scratch = new Uint32Array(LANES * stride);
  const lanes = scratch;
  const shift = 1 - offset;
  const top = bins + 1;
  let lo = Infinity;
  let hi = -Infinity;
  const quad = n & ~3;
  for (let i = 0; i < quad; i += 4) {
    const a = values[i]!;
    const b = values[i + 1]!;
    const c = values[i + 2]!;
    const d = values[i + 3]!;
    if (a < lo) lo = a;
    if (a > hi) hi = a;
    if (b < lo) lo = b;
    if (b > hi) hi = b;
    if (c < lo) lo = c;
    if (c > hi) hi = c;
    if (d < lo) lo = d;
    if (d > hi) hi = d;
    lanes[Math.min(Math.max(Math.floor(a * scale) + shift, 0), top) | 0]!++;
    lanes[stride + (Math.min(Math.max(Math.floor(b * scale) + shift, 0), top) | 0)]!++;
    lanes[2 * stride + (Math.min(Math.max(Math.floor(c * scale) + shift, 0), top) | 0)]!++;
    lanes[3 * stride + (Math.min(Math.max(Math.floor(d * scale) + shift, 0), top) | 0)]!++;
  }
  const rest = countInsideDirect(values.subarray(quad), counts, scale, offset);
  let outside = rest.outside;
  for (let lane = 0; lane < LANES; lane++) {
    const base = lane * stride;
    outside += lanes[base]! + lanes[base + top]!;
    for (let j = 0; j < bins; j++) counts[j] += lanes[base + 1 + j]!;
  }
  lanes.fill(0, 0, LANES * stride);
  return { min: Math.min(lo, rest.min), max: Math.max(hi, rest.max), outside };
}

/** Small batches: folding the lanes would cost more than the counting. */
function countInsideDirect(values: Float32Array, counts: Float64Array, scale: number, offset: number): InsidePass {
  const bins = counts.length;
  let lo = Infinity;
  let hi = -Infinity;
  let outside = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    const k = Math.floor(v * scale) - offset; // NaN or ±Inf when v is
    if (k >= 0 && k < bins) counts[k]!++;
    else outside++;
  }
  return { min: lo, max: hi, outside };
}

/**
 * Second pass after the bins changed: count, in the new bins, the values the first pass left out
 * (by the same test); returns how many were finite.
 */
export function countOutside(values: Float32Array, oldScale: number, oldOffset: number, counts: Float64Array, scale: number, offset: number): number {
  const oldBins = counts.length;
  let counted = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const old = Math.floor(v * oldScale) - oldOffset;
    if ((old >= 0 && old < oldBins) || v - v !== 0) continue;
    counts[Math.floor(v * scale) - offset]!++;
    counted++;
  }
  return counted;
}
