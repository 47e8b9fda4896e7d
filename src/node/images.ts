import sharp from 'sharp';
import { join } from 'node:path';
import { DataType } from '../ir/dtype.js';
import type { Value } from '../ir/value.js';
import { isTensorType } from '../ir/types.js';
import type { SampleSource } from '../data/samples.js';
import { imageLayout, pixelsToTensor, type PreprocessSpec } from '../data/preprocess.js';
import { DataFormatError } from '../data/npy.js';
import { UsageError, errorMessage } from '../errors.js';

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.gif', '.avif']);

/** Decode and resize one image to RGBA pixels with sharp (libvips): the well-kept tool for this. */
export async function loadImagePixels(path: string, width: number, height: number, fit: PreprocessSpec['fit']): Promise<Uint8Array> {
  try {
    const { data } = await sharp(path).toColourspace('srgb').removeAlpha().ensureAlpha().resize(width, height, { fit, kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (error) {
    throw new DataFormatError(`${path}: cannot read the image: ${errorMessage(error)}`, { code: 'bad-image', file: path, cause: error });
  }
}

/** A folder of images feeding the model's one image input, one image per sample, decoded as it streams. */
export function imageFolderSource(folder: string, files: string[], input: Value, spec: PreprocessSpec, limit?: number): SampleSource {
  const type = input.type;
  if (!isTensorType(type) || type.elemType !== DataType.FLOAT || !type.shape) {
    throw new UsageError(`input '${input.name}' is not a float32 tensor with a known rank; image folders feed float image inputs`, { code: 'bad-source' });
  }
  let target: ReturnType<typeof imageLayout>;
  try {
    target = imageLayout(type.shape, spec, input.name);
  } catch (error) {
    // Name the folder: the same model may be given several (--calib, --data).
    if (error instanceof UsageError) throw new UsageError(`images in '${folder}': ${error.message}`, { code: error.code });
    throw error;
  }
  const dims = target.layout === 'nchw' ? [1, target.channels, target.height, target.width] : [1, target.height, target.width, target.channels];
  const count = limit === undefined ? files.length : Math.min(limit, files.length);
  return {
    label: `${folder} (${count} images, ${target.width}×${target.height} ${target.layout})`,
    size: count,
    async *samples() {
      for (const file of files.slice(0, count)) {
        const pixels = await loadImagePixels(join(folder, file), target.width, target.height, spec.fit);
        yield { [input.name]: { dtype: DataType.FLOAT, dims, data: pixelsToTensor(pixels, target, spec) } };
      }
    },
  };
}
