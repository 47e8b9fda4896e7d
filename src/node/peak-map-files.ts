import { encodeWithMaps } from '../eval/peak-masks.js';
import { readModelFile } from './model-files.js';

/**
 * The model files' bytes with the peak masks' maps as extra outputs (eval/peak-masks.ts), for
 * runners that read the maps beside the files themselves (eval/map-runner.ts); undefined when there are no maps, when a model keeps its weights in
 * external data (inlined they could pass protobuf's 2 GB limit, and no peak-mask model is that
 * large), or when a model lacks a map. The masks are then compared without their maps' figures.
 */
export function filesWithMaps(paths: readonly string[], maps: ReadonlyMap<string, string>): Uint8Array[] | undefined {
  if (maps.size === 0) return undefined;
  const loaded = paths.map((path) => readModelFile(path));
  if (loaded.some((l) => l.externalFiles.length > 0)) return undefined;
  const encoded = loaded.map((l) => encodeWithMaps(l.model, maps));
  return encoded.every((bytes) => bytes !== undefined) ? (encoded as Uint8Array[]) : undefined;
}
