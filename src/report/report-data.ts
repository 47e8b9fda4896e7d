import type { Diagnostic } from '../diagnostics.js';
import type { ModelSummary } from '../inspect/summary.js';
import type { AccuracyResult } from '../eval/accuracy.js';
import type { BenchResult } from '../eval/bench.js';
import type { PerLayerResult } from '../eval/per-layer.js';
import type { OutputFidelity } from '../eval/verify.js';

/** One model of the pair: where it is and what is in it. */
export interface ModelCard {
  path: string;
  /** Bytes on disk, external data included. */
  fileBytes: number;
  summary: ModelSummary;
}

/**
 * Everything the HTML report shows, gathered beforehand (report/gather.ts does it in Node) so that
 * rendering is a pure function of it. A section whose data is absent says why, from `unavailable`.
 */
export interface ReportData {
  title: string;
  /** "lowbit 0.1.0": who made the report. */
  tool: string;
  /** ISO time the report was made; left out for byte-identical output. */
  createdAt?: string;
  /** The quantization mode, when known. */
  mode?: string;
  float: ModelCard;
  quantized: ModelCard;
  fidelity?: {
    samples: number;
    source: string;
    /** e.g. that the inputs were random. */
    note?: string;
    outputs: OutputFidelity[];
    accuracy?: { float?: AccuracyResult; quantized?: AccuracyResult };
  };
  perLayer?: PerLayerResult & { command?: string };
  leftInFloat: {
    /** 'quantize': the reasons the quantizer gave; 'inferred': weights found still float in the quantized file. */
    origin: 'quantize' | 'inferred';
    nodes: Diagnostic[];
  };
  latency?: BenchResult & { threads?: number; inputs: string };
  notes: string[];
  /**
   * What went wrong, shown first: an output below the fidelity floor, a quantized model slower
   * than float, a target not reached. The figures are in their sections; these say to look.
   */
  warnings: string[];
  /** Why a section has no data ("--no-verify was given"). */
  unavailable: Partial<Record<'fidelity' | 'perLayer' | 'latency', string>>;
}

/** The charting library, inlined into the page so that it works offline. */
export interface ReportAssets {
  /** The UMD build of Chart.js (defines the global `Chart`). */
  chartScript: string;
  /** Its version, named in the page footer. */
  chartVersion: string;
}
