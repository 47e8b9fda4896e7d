import type { Feeds, Runner } from '../runner/runner.js';
import type { QuantizeOptions } from '../quantize/options.js';
import { timeSideBySide, type BenchResult } from './bench.js';

/**
 * What quantization bought in speed, measured where it ran: the quantized model's latency over the
 * float model's on one input, runs interleaved (see benchRunners). Part of verification, because a
 * quantized model can run slower than float — onnxruntime's int8 convolutions lose to its float
 * ones on some processors and shapes (BlazeFace's 24-channel depthwise convolutions take 3× the
 * float time on AVX2 without VNNI) — and a user must hear that before shipping it.
 */
export interface SpeedCheck {
  /** Median over rounds of quantized time / float time; above 1 the quantized model is slower. */
  ratio: number;
  floatMs: number;
  quantizedMs: number;
  runs: number;
  threads: number;
}

/** Ten rounds, or fewer (at least 3) once 20 s of timed runs are spent: ISNet takes ~4 s a round. */
export const SPEED_CHECK_RUNS = 10;
export const SPEED_CHECK_BUDGET_MS = 20_000;
/** The thread count the benchmarks and the --target-cosine search use. */
export const SPEED_CHECK_THREADS = 2;

/**
 * Time the float model (first) against the quantized one; also gives the side-by-side timings
 * themselves, named by `names`, for a report to show without timing again.
 */
export async function checkSpeed(openFloat: () => Promise<Runner>, openQuantized: () => Promise<Runner>, feeds: Feeds, names: [string, string] = ['float', 'quantized']): Promise<{ check: SpeedCheck; timings: BenchResult }> {
  const timings = await timeSideBySide(openFloat, openQuantized, feeds, { runs: SPEED_CHECK_RUNS, warmup: 1, budgetMs: SPEED_CHECK_BUDGET_MS, names });
  const [f, q] = timings.models;
  return { check: { ratio: q!.ratio, floatMs: f!.medianMs, quantizedMs: q!.medianMs, runs: timings.runs, threads: SPEED_CHECK_THREADS }, timings };
}

/** One line for the result, e.g. "latency 0.58× float's (1.72× faster): 74.1 ms against 127.7 ms, …". */
export function describeSpeed(check: SpeedCheck): string {
  const faster = check.ratio < 1 ? `${(1 / check.ratio).toFixed(2)}× faster` : check.ratio > 1 ? 'slower' : 'no faster';
  return `latency ${check.ratio.toFixed(3)}× float's (${faster}): ${check.quantizedMs.toFixed(1)} ms against ${check.floatMs.toFixed(1)} ms, median of ${check.runs} interleaved runs, ${check.threads} threads, this machine`;
}

/**
 * When the quantized model is not faster than float: a warning that says so and why it may be, by
 * mode; undefined when it is faster. `targetCosine`: nodes were kept in float by --target-cosine.
 */
export function slowerThanFloatWarning(check: SpeedCheck, options: Pick<QuantizeOptions, 'mode' | 'activations' | 'wideActivations'>, targetCosine = false): string | undefined {
  if (check.ratio < 1) return undefined;
  const head = `the quantized model is NOT faster than float on this machine (${check.ratio.toFixed(2)}× float's time)`;
  const why = (() => {
    if (options.mode === 'fp16') return 'fp16 halves the size; onnxruntime\'s CPU build runs most ops slower in fp16 than in float, so fp16 pays off on GPUs (WebGPU) and in download size, not in CPU speed';
    if (options.activations === 'uint16' || options.activations === 'int16') return '16-bit activations are for fidelity, not speed: onnxruntime\'s CPU build has no 16-bit kernels and runs those nodes in float between Q/DQ';
    if (targetCosine) return 'the nodes kept in float cost more than int8 saves: keep fewer (a lower --target-cosine) or quantize without it';
    if (options.mode === 'int8' && options.wideActivations?.length) return 'the tensors given 16-bit activations (--wide-activations) run in float between Q/DQ; give fewer, or time the model without them';
    if (options.mode === 'int8') return 'onnxruntime\'s int8 kernels lose to its float ones for this model on this processor (as they often do without VNNI, for depthwise convolutions with few channels, and for small layers where the Q/DQ around them cost more than int8 saves); here the float model is the faster one — `--float-where-faster` keeps the Convs that are slower in int8 in float, and on a processor with VNNI, time it again (`lowbit bench`)';
    if (options.mode === 'weights-int8') return 'weight-only int8 is for size: onnxruntime keeps each weight\'s DequantizeLinear in the graph, runs it at every inference, and cannot give those convolutions its fastest (NCHWc) float kernels';
    return 'for speed, compare the modes with `lowbit bench` on the machine that will run the model';
  })();
  return `${head}: ${why}`;
}
