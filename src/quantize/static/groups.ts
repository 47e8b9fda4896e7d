import type { Value } from '../../ir/value.js';

export interface Range {
  min: number;
  max: number;
}

/**
 * Tensors that must share one scale and zero point (union-find). A passthrough op's output joins
 * its input's group (onnxruntime then drops the Q/DQ around it and runs it on uint8), Concat's
 * inputs and output form one group (no input is requantized). Only "sources" contribute a range:
 * a passthrough output holds a subset of its input's values, so it needs no calibration of its own.
 */
export class TensorGroups {
  private readonly parent = new Map<Value, Value>();
  private readonly sources = new Set<Value>();

  has(v: Value): boolean {
    return this.parent.has(v);
  }

  /** Add a tensor as its own group (no-op when it is already in one; a member is never promoted to source). */
  add(v: Value, source: boolean): void {
    if (this.parent.has(v)) return;
    this.parent.set(v, v);
    if (source) this.sources.add(v);
  }

  /** Put `v` in `other`'s group (adding either when new). */
  join(v: Value, other: Value, vIsSource: boolean): void {
    this.add(other, true);
    this.add(v, vIsSource);
    const a = this.find(v);
    const b = this.find(other);
    if (a !== b) this.parent.set(a, b);
  }

  find(v: Value): Value {
    let root = this.parent.get(v);
    if (root === undefined) throw new Error(`tensor '${v.name}' is not in any group`);
    while (root !== this.parent.get(root)) root = this.parent.get(root)!;
    // Path compression keeps later finds short.
    let step = v;
    while (step !== root) {
      const next = this.parent.get(step)!;
      this.parent.set(step, root);
      step = next;
    }
    return root;
  }

  /** Every quantized tensor. */
  members(): Value[] {
    return [...this.parent.keys()];
  }

  /** Tensors whose calibrated range counts. */
  sourceTensors(): Value[] {
    return [...this.sources];
  }

  /** Range of each group: the union of its sources' ranges. Groups with no measured source are absent. */
  groupRanges(measured: ReadonlyMap<string, Range>): Map<Value, Range> {
    const out = new Map<Value, Range>();
    for (const s of this.sources) {
      const r = measured.get(s.name);
      if (!r) continue;
      const root = this.find(s);
      const prior = out.get(root);
      out.set(root, prior ? { min: Math.min(prior.min, r.min), max: Math.max(prior.max, r.max) } : { ...r });
    }
    return out;
  }
}
