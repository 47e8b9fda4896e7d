import { DataType, dtypeName, type TypedArray } from '../ir/dtype.js';
import type { HostTensor, Runner } from '../runner/runner.js';
import { UsageError } from '../errors.js';

/** Labelled accuracy of one model: how many rows the scores ranked the label first, or in the top five. */
export interface AccuracyResult {
  /** The output read as class scores. */
  output: string;
  classes: number;
  /** Rows scored (one label each). */
  labelled: number;
  correctTop1: number;
  top1: number;
  /** Only where there are at least ten classes: with fewer, top-5 says little. */
  correctTop5?: number;
  top5?: number;
}

/** Top-5 is reported from this many classes up; below it nearly every guess lands in the top five. */
export const TOP5_MIN_CLASSES = 10;

/**
 * The rank of class `label` among `classes` scores starting at `start`: how many scores beat it,
 * where an equal score beats it only from a lower index. Rank 0 is exactly `argmax` with ties to
 * the lowest index, so top-1 and top-k agree on ties. A NaN label score ranks last.
 */
export function labelRank(scores: ArrayLike<number>, start: number, classes: number, label: number): number {
  const own = scores[start + label]!;
  if (Number.isNaN(own)) return classes;
  let rank = 0;
  for (let i = 0; i < classes; i++) {
    const s = scores[start + i]!;
    if (s > own || (s === own && i < label)) rank++;
  }
  return rank;
}

/** Where the class scores sit in an output: `rows` of `classes`, for shapes [classes] and [rows, classes]. */
export function scoreLayout(dims: readonly number[]): { rows: number; classes: number } | undefined {
  if (dims.length === 1 && dims[0]! >= 2) return { rows: 1, classes: dims[0]! };
  if (dims.length === 2 && dims[1]! >= 2) return { rows: dims[0]!, classes: dims[1]! };
  return undefined;
}

/**
 * Counts top-1 and top-5 hits as samples stream by; labels are consumed one per score row, in
 * source order, so a sample holding a batch of rows takes that many labels.
 */
export class AccuracyAccumulator {
  private next = 0;
  private top1 = 0;
  private top5 = 0;
  private classes: number | undefined;

  constructor(
    private readonly labels: ArrayLike<number>,
    /** The output holding the class scores. */
    readonly output: string,
    private readonly labelsFile: string,
  ) {}

  add(scores: ArrayLike<number>, dims: readonly number[]): void {
    const layout = scoreLayout(dims);
    if (!layout) throw new UsageError(`output '${this.output}' has shape [${dims.join(',')}], not [rows, classes]; labels need class scores`, { code: 'no-scores' });
    this.classes ??= layout.classes;
    for (let row = 0; row < layout.rows; row++) {
      if (this.next >= this.labels.length) {
        throw new UsageError(`${this.labelsFile} holds ${this.labels.length} labels, but the data gives more samples than that; give one label per sample`, { code: 'labels-mismatch' });
      }
      const label = this.labels[this.next++]!;
      if (label < 0 || label >= layout.classes) {
        throw new UsageError(`${this.labelsFile}: label ${label} at position ${this.next - 1} is outside the ${layout.classes} classes of output '${this.output}'`, { code: 'bad-label' });
      }
      const rank = labelRank(scores, row * layout.classes, layout.classes, label);
      if (rank === 0) this.top1++;
      if (rank < 5) this.top5++;
    }
  }

  /** The counts; throws when labels were left over, since then labels and samples do not line up. */
  result(): AccuracyResult {
    if (this.next !== this.labels.length) {
      throw new UsageError(`${this.labelsFile} holds ${this.labels.length} labels, but the data gave ${this.next} samples; give one label per sample`, { code: 'labels-mismatch' });
    }
    const classes = this.classes ?? 0;
    const labelled = this.next;
    return {
      output: this.output,
      classes,
      labelled,
      correctTop1: this.top1,
      top1: labelled ? this.top1 / labelled : 0,
      ...(classes >= TOP5_MIN_CLASSES ? { correctTop5: this.top5, top5: labelled ? this.top5 / labelled : 0 } : {}),
    };
  }
}

const INTEGER_TYPES = new Set([DataType.INT8, DataType.UINT8, DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32, DataType.INT64, DataType.UINT64]);

/** Labels from an array read off a .npy file: integers, shaped [N] or [N, 1]. */
export function labelsFromArray(array: HostTensor, file: string): Int32Array {
  if (!INTEGER_TYPES.has(array.dtype)) throw new UsageError(`${file}: labels must be integers, but it holds ${dtypeName(array.dtype)}`, { code: 'bad-labels' });
  const shape = array.dims;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw new UsageError(`${file}: labels must have shape [N] or [N, 1], but it has [${shape.join(', ')}]`, { code: 'bad-labels' });
  }
  return Int32Array.from(array.data as TypedArray as ArrayLike<number | bigint>, Number);
}

/** The first output shaped like class scores ([rows, classes] or [classes]). */
export function scoresOutputOf(runner: Runner): string {
  const found = runner.outputs.find((o) => {
    const dims = o.dims;
    if (!dims || dims.length < 1 || dims.length > 2) return false;
    const classes = dims[dims.length - 1];
    return typeof classes === 'number' && scoreLayout([1, classes]) !== undefined;
  });
  if (!found) {
    throw new UsageError(`no output looks like class scores ([rows, classes]) among ${runner.outputs.map((o) => `'${o.name}'`).join(', ')}; name it with --scores-output`, { code: 'no-scores' });
  }
  return found.name;
}
