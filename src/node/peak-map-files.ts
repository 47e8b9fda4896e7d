import type { Model } from '../ir/model.js';
import { attachPeakMaps, encodeWithMaps, peakMaskGrids, peakMaskMaps } from '../eval/peak-masks.js';
import { openWithMapOutputs } from '../eval/map-runner.js';
import type { PeakGrid } from '../eval/peak-match.js';
import type { OutputFidelity } from '../eval/verify.js';
import { createNodeRunner } from '../runner/ort-node.js';
import type { Runner, RunnerOptions } from '../runner/runner.js';
import { readModelFile } from './model-files.js';

/**
 * What the commands (quantize's verification, eval, the report) need to compare model files whose
 * float model has peak masks (eval/peak-masks.ts), in one place: each mask's grid for the
 * peak-matched figure, runners that read the maps beside the files themselves (eval/map-runner.ts),
 * and the step that moves each map's figures onto its mask. Without masks it opens the files as
 * they are and changes nothing.
 */
export interface PeakMaskFiles {
  /** Mask output → its map's grid, for verifyRunners and evaluateRunners. */
  grids: Map<string, PeakGrid>;
  /**
   * A runner for `paths[index]`, with its copy's maps when there are copies. `onMapsUnavailable`:
   * as openWithMapOutputs, a copy that fails to load then costs only the maps' figures.
   */
  open(index: number, options?: RunnerOptions, onMapsUnavailable?: (error: Error) => void): Promise<Runner>;
  /** The figures with each map's moved onto its mask as `peakMap`, and the maps dropped. */
  attach(outputs: readonly OutputFidelity[]): OutputFidelity[];
}

/** For `paths` compared against `float` (undefined: no comparison, so no masks). */
export function peakMaskFiles(float: Model | undefined, paths: readonly string[]): PeakMaskFiles {
  const maps = float ? peakMaskMaps(float) : new Map<string, string>();
  const copies = filesWithMaps(paths, maps);
  return {
    grids: float ? peakMaskGrids(float, maps) : new Map(),
    open: (index, options = {}, onMapsUnavailable) => openWithMapOutputs((s) => createNodeRunner(s, options), paths[index]!, copies?.[index], [...maps.values()], onMapsUnavailable),
    attach: (outputs) => attachPeakMaps(outputs, maps),
  };
}

/**
 * The model files' bytes with the peak masks' maps as extra outputs; undefined when there are no
 * maps, when a model keeps its weights in external data (inlined they could pass protobuf's 2 GB
 * limit, and no peak-mask model is that large), or when a model lacks a map. The masks are then
 * compared without their maps' figures.
 */
function filesWithMaps(paths: readonly string[], maps: ReadonlyMap<string, string>): Uint8Array[] | undefined {
  if (maps.size === 0) return undefined;
  const loaded = paths.map((path) => readModelFile(path));
  if (loaded.some((l) => l.externalFiles.length > 0)) return undefined;
  const encoded = loaded.map((l) => encodeWithMaps(l.model, maps));
  return encoded.every((bytes) => bytes !== undefined) ? (encoded as Uint8Array[]) : undefined;
}
