import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataType } from '../../src/ir/dtype.js';
import type { HostTensor } from '../../src/runner/runner.js';
import { loadImagePixels } from '../../src/node/images.js';
import { parsePreprocess, pixelsToTensor } from '../../src/data/preprocess.js';
import { corpusData } from './corpus.js';

/** Colour photos from Debian's python3-skimage (the corpus), skipping greyscale and synthetic ones. */
export const PHOTOS = ['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg', 'motorcycle_left.png', 'motorcycle_right.png', 'hubble_deep_field.jpg', 'retina.jpg'];

/** Absolute paths of the corpus photos that are present, in PHOTOS order. */
export function photoPaths(names: readonly string[] = PHOTOS): string[] {
  const folder = corpusData('photos');
  if (!folder) return [];
  const present = new Set(readdirSync(folder));
  return names.filter((n) => present.has(n)).map((n) => join(folder, n));
}

/**
 * A photo as a float32 NCHW tensor [1, 3, height, width] (or NHWC with `layout`), through the same
 * decoding and preprocessing the CLI uses for image folders.
 */
export async function photoTensor(path: string, height: number, width: number, preprocess: string, layout: 'nchw' | 'nhwc' = 'nchw', channels = 3): Promise<HostTensor> {
  const spec = parsePreprocess(preprocess);
  const pixels = await loadImagePixels(path, width, height, spec.fit);
  const data = pixelsToTensor(pixels, { layout, channels, width, height }, spec);
  return { dtype: DataType.FLOAT, dims: layout === 'nchw' ? [1, channels, height, width] : [1, height, width, channels], data };
}
