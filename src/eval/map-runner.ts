import type { Feeds, HostTensor, Runner } from '../runner/runner.js';

/**
 * One runner for a model with peak masks (eval/peak-masks.ts): every output of the model comes from
 * `plain`, the model as it is, and the maps from `withMaps`, a copy that lists them as extra outputs.
 *
 * Why two sessions rather than the copy alone: listing an inner value as an output can change what
 * onnxruntime computes. In a float16 model it has to keep the map in float16 where onnxruntime
 * otherwise merges the Casts it puts around kernels it lacks in float16 and compares in float32;
 * near-equal neighbours then tie, and mlsd's fp16 scores came out up to 0.67 away from what the
 * model gives without the extra output (cosine 0.001 against fp32 instead of 0.98–0.99 per photo).
 * The masks must be measured as the model computes them; the maps cost one more run per sample.
 */
export function withMapOutputs(plain: Runner, withMaps: Runner, mapNames: readonly string[]): Runner {
  const maps = withMaps.outputs.filter((o) => mapNames.includes(o.name) && !plain.outputs.some((p) => p.name === o.name));
  const isMap = (name: string) => maps.some((m) => m.name === name);
  return {
    inputs: plain.inputs,
    outputs: [...plain.outputs, ...maps],
    async run(feeds: Feeds, outputNames?: string[]): Promise<Record<string, HostTensor>> {
      const wanted = outputNames ?? [...plain.outputs, ...maps].map((o) => o.name);
      const own = wanted.filter((n) => !isMap(n));
      const extra = wanted.filter(isMap);
      return {
        ...(own.length ? await plain.run(feeds, own) : {}),
        ...(extra.length ? await withMaps.run(feeds, extra) : {}),
      };
    },
    async dispose(): Promise<void> {
      await Promise.all([plain.dispose(), withMaps.dispose()]);
    },
  };
}

/**
 * `open(source)`, with the maps of `copy` (the model with its maps as extra outputs, from
 * encodeWithMaps) added as withMapOutputs does; `open(source)` alone when there is no copy.
 * When the copy fails to open: with `onMapsUnavailable`, that is told why and the model is returned
 * alone (its masks are then compared without their maps: the model itself loaded, so the copy's
 * failure says nothing against it); without it, the model is closed and the error thrown.
 */
export async function openWithMapOutputs<S extends string | Uint8Array>(open: (source: S | Uint8Array) => Promise<Runner>, source: S, copy: Uint8Array | undefined, mapNames: readonly string[], onMapsUnavailable?: (error: Error) => void): Promise<Runner> {
  const plain = await open(source);
  if (!copy) return plain;
  try {
    return withMapOutputs(plain, await open(copy), mapNames);
  } catch (error) {
    if (onMapsUnavailable) {
      onMapsUnavailable(error as Error);
      return plain;
    }
    await plain.dispose();
    throw error;
  }
}
