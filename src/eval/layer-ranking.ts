/**
 * Ranking layers by the noise they add, and choosing which to leave in float. Pure arithmetic on
 * per-value SQNR figures, kept apart from running models (per-layer.ts).
 */
import { WEIGHT_INPUT } from '../inspect/weights.js';

/** Op types lowbit's quantization modes rewrite: the only nodes --exclude can act on. */
const EXCLUDABLE_OPS = new Set(Object.keys(WEIGHT_INPUT));


/** One compared node output: its own SQNR and what the node in front of it added. */
export interface LayerFidelity {
  /** The value's name, the same in both models. */
  value: string;
  /** The node of the float model that produces it (the name --exclude takes), or '' when unnamed. */
  node: string;
  opType: string;
  /** Position of the node in the float graph (topological), for charts in graph order. */
  order: number;
  /** Whether quantization rewrote the node (different op or inputs in the quantized model). */
  quantized: boolean;
  /** SQNR of this value, quantized against float: includes all noise from upstream. */
  sqnrDb: number;
  /** SQNR of the node's noisiest input (Infinity when its inputs are exact, as graph inputs are). */
  inputSqnrDb: number;
  /**
   * SQNR of the noise this node adds on top of its noisiest input: −10·log10(n_out − n_in), with n
   * the noise-to-signal power ratio 10^(−SQNR/10). Upstream noise passes through most layers at
   * about the same relative power, so the difference isolates the node's own loss; Infinity when
   * it adds none.
   */
  addedSqnrDb: number;
  cosine: number;
  maxAbsError: number;
}

export interface ExcludeSuggestion {
  /** Node names to pass to `--exclude`, worst first. */
  exclude: string[];
  /** Median added SQNR of the quantized layers whose added noise could be measured: what a typical layer loses. */
  medianAddedSqnrDb: number;
  /**
   * A layer is suggested when it adds this many dB more noise than the median quantized layer, and
   * at least doubles the noise it receives.
   */
  marginDb: number;
  /** Quantized layers that stand out but have no name, so --exclude cannot reach them (listed by value). */
  unnamed: string[];
  /** Why the list is what it is, in words. */
  reason: string;
}

/**
 * Default margin: 10 dB is ten times the noise power of a typical quantized layer. Layers that
 * quantize normally sit within a few dB of each other; a layer ten times noisier than the median is
 * broken or badly suited to int8, and leaving it in float costs little size.
 */
export const DEFAULT_MARGIN_DB = 10;

/** Noise-to-signal power ratio of an SQNR: 0 for identical values. */
export function noiseRatio(sqnrDb: number): number {
  return sqnrDb === Infinity ? 0 : 10 ** (-sqnrDb / 10);
}

/** The SQNR of a noise-to-signal power ratio: Infinity for none. */
export function noiseToSqnrDb(noise: number): number {
  return noise <= 0 ? Infinity : -10 * Math.log10(noise);
}

/** SQNR of the noise a node adds, from its output's noise ratio and its noisiest input's. */
export function addedSqnrDb(outputNoise: number, inputNoise: number): number {
  const added = outputNoise - inputNoise;
  if (Number.isNaN(added)) return outputNoise === Infinity ? -Infinity : Infinity;
  return noiseToSqnrDb(added);
}

/**
 * Worst first: the layers quantization rewrote (the ones --exclude acts on) before those it left as
 * they were, then most added noise, lowest SQNR, graph order. An op left as it was still changes
 * the noise it passes on (a Relu clips signal and noise alike, and the ratio moves), but that is
 * not noise of its own: ranked among the rewritten, six float Relus led BlazeFace's table.
 */
export function rankLayers(layers: readonly LayerFidelity[]): LayerFidelity[] {
  // Two infinite figures subtract to NaN, which || passes over to the next key, as a tie should.
  return [...layers].sort((a, b) => Number(b.quantized) - Number(a.quantized) || a.addedSqnrDb - b.addedSqnrDb || a.sqnrDb - b.sqnrDb || a.order - b.order);
}

/**
 * A node "dominates" its own error when its output carries at least twice the noise power of its
 * noisiest input (its SQNR is at least 3 dB below its input's): most of the error is then its own.
 * Without this test, a layer downstream of a broken one looks guilty too: with noise already as
 * strong as the signal, a small change in how a layer scales that noise is a large absolute amount.
 */
const DOMINANT_NOISE_FACTOR = 2;

/**
 * The quantized layers that stand out: their own added noise is more than `marginDb` above that of
 * the typical quantized layer (the median of those whose added noise could be measured at all),
 * and they dominate their own error. Leaving those in float repairs most of the damage for little
 * size. Candidates are nodes quantization rewrote of the op types lowbit's modes rewrite, since
 * --exclude can only keep such a node from being rewritten.
 */
export function suggestExclude(layers: readonly LayerFidelity[], marginDb = DEFAULT_MARGIN_DB): ExcludeSuggestion {
  const candidates = layers.filter((l) => l.quantized && EXCLUDABLE_OPS.has(l.opType));
  const measured = candidates.map((l) => l.addedSqnrDb).filter((db) => db !== Infinity);
  if (measured.length === 0) {
    const why = candidates.length ? 'no rewritten layer adds measurable noise of its own' : 'no compared layer was rewritten by quantization';
    return { exclude: [], medianAddedSqnrDb: Infinity, marginDb, unnamed: [], reason: `${why}, so there is nothing to leave in float` };
  }
  const typical = medianOf(measured);
  const dominates = (l: LayerFidelity) => noiseRatio(l.sqnrDb) >= DOMINANT_NOISE_FACTOR * noiseRatio(l.inputSqnrDb);
  const outliers = rankLayers(candidates.filter((l) => l.addedSqnrDb < typical - marginDb && dominates(l)));
  const exclude = [...new Set(outliers.filter((l) => l.node !== '').map((l) => l.node))];
  const unnamed = outliers.filter((l) => l.node === '').map((l) => l.value);
  const reason = outliers.length
    ? `${outliers.length} quantized layer(s) add more than ${marginDb} dB more noise than the typical quantized layer (added SQNR ${formatDb(typical)}) and cause most of the error at their output`
    : `no quantized layer stands out (none adds more than ${marginDb} dB more noise than the typical one, added SQNR ${formatDb(typical)}, while causing most of the error at its output): the loss is spread out, so leaving single layers in float would not fix it`;
  return { exclude, medianAddedSqnrDb: typical, marginDb, unnamed, reason };
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length % 2) return sorted[mid]!;
  const [a, b] = [sorted[mid - 1]!, sorted[mid]!];
  const mean = (a + b) / 2;
  return Number.isNaN(mean) ? b : mean; // −∞ and ∞ have no mean: take the upper middle
}

/** Added noise reads "none seen" rather than "exact": the node surely rounds, its noise is just lost in its input's. */
export function formatAddedDb(db: number): string {
  return db === Infinity ? 'none seen' : formatDb(db);
}

export function formatDb(db: number): string {
  if (db === Infinity) return '∞ dB (exact)';
  if (db === -Infinity) return '−∞ dB';
  return `${db.toFixed(1)} dB`;
}
