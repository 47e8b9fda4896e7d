/**
 * One axis of Slice as ONNX defines it: negative starts and ends count from the end, then both are
 * clamped (to [0, dim] going forward, to [-1, dim - 1] going backward); INT64_MAX and INT64_MIN,
 * which exporters write for "to the end", clamp like any other number.
 */
export function sliceRange(dim: number, start: number, end: number, step: number): { start: number; step: number; count: number } {
  if (step === 0) throw new RangeError('Slice step is 0');
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  const count = step > 0 ? Math.max(0, Math.ceil((e - s) / step)) : Math.max(0, Math.ceil((s - e) / -step));
  return { start: s, step, count };
}
