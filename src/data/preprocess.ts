import { UsageError } from '../errors.js';

/** How images become input tensors: `resize=224,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=nchw`. */
export interface PreprocessSpec {
  /** Target width and height; by default the model input's static spatial dims. */
  width?: number;
  height?: number;
  /** Per-channel mean and std, applied after scaling pixels to [0, 1] (default mean 0, std 1). */
  mean: number[];
  std: number[];
  /** Multiply raw 0..255 pixels by this before mean/std (default 1/255). */
  scale: number;
  layout?: 'nchw' | 'nhwc';
  /** Channel order of the tensor. */
  channels: 'rgb' | 'bgr';
  /** How the image is fitted to the target size: stretched (default), cropped to fill, or padded. */
  fit: 'fill' | 'cover' | 'contain';
}

export function parsePreprocess(text: string | undefined): PreprocessSpec {
  const spec: PreprocessSpec = { mean: [0], std: [1], scale: 1 / 255, channels: 'rgb', fit: 'fill' };
  if (!text) return spec;
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [key, value] = part.split('=', 2).map((s) => s.trim()) as [string, string | undefined];
    const bad = (why: string) => new UsageError(`--preprocess: ${part}: ${why}`, { code: 'bad-option' });
    if (value === undefined || value === '') throw bad('expected key=value');
    const numbers = () => {
      const list = value.split('/').map(Number);
      if (list.some((n) => !Number.isFinite(n))) throw bad('expected numbers separated by /');
      return list;
    };
    switch (key) {
      case 'resize': {
        const m = /^(\d+)(?:x(\d+))?$/.exec(value);
        if (!m) throw bad('expected SIZE or WIDTHxHEIGHT');
        spec.width = Number(m[1]);
        spec.height = Number(m[2] ?? m[1]);
        break;
      }
      case 'mean':
        spec.mean = numbers();
        break;
      case 'std':
        spec.std = numbers();
        if (spec.std.some((s) => s === 0)) throw bad('std cannot be 0');
        break;
      case 'scale':
        spec.scale = numbers()[0]!;
        break;
      case 'layout':
        if (value !== 'nchw' && value !== 'nhwc') throw bad('expected nchw or nhwc');
        spec.layout = value;
        break;
      case 'channels':
        if (value !== 'rgb' && value !== 'bgr') throw bad('expected rgb or bgr');
        spec.channels = value;
        break;
      case 'fit':
        if (value !== 'fill' && value !== 'cover' && value !== 'contain') throw bad('expected fill, cover or contain');
        spec.fit = value;
        break;
      default:
        throw bad(`unknown key '${key}' (known: resize, mean, std, scale, layout, channels, fit)`);
    }
  }
  return spec;
}

export interface ImageLayout {
  layout: 'nchw' | 'nhwc';
  channels: number;
  width: number;
  height: number;
}

/**
 * Where channels and spatial dims sit in a 4-D image input: NCHW when dim 1 is 1, 3 or 4,
 * NHWC when the last dim is; the spec's layout and resize win over the model's dims.
 */
export function imageLayout(shape: readonly (number | string | null)[], spec: PreprocessSpec, input: string): ImageLayout {
  if (shape.length !== 4) throw new UsageError(`input '${input}' has rank ${shape.length}; image folders feed 4-D image inputs`, { code: 'bad-source' });
  const isChannels = (d: number | string | null) => d === 1 || d === 3 || d === 4;
  const layout = spec.layout ?? (isChannels(shape[1]!) ? 'nchw' : isChannels(shape[3]!) ? 'nhwc' : 'nchw');
  const [c, h, w] = layout === 'nchw' ? [shape[1], shape[2], shape[3]] : [shape[3], shape[1], shape[2]];
  const channels = typeof c === 'number' ? c : 3;
  if (!isChannels(channels)) {
    // A layout that puts a spatial axis where the channels go would feed the pixels in a scrambled order.
    throw new UsageError(`input '${input}' [${shape.join(', ')}] read as ${layout.toUpperCase()} has ${channels} channels; images give 1, 3 or 4${spec.layout ? `: is --preprocess layout=${spec.layout} right for this model?` : ''}`, { code: 'bad-source' });
  }
  for (const [key, values] of [['mean', spec.mean], ['std', spec.std]] as const) {
    if (values.length !== 1 && values.length !== channels) throw new UsageError(`--preprocess ${key} has ${values.length} values; input '${input}' has ${channels} channel(s): give one value for all, or one per channel`, { code: 'bad-option' });
  }
  const width = spec.width ?? (typeof w === 'number' ? w : undefined);
  const height = spec.height ?? (typeof h === 'number' ? h : undefined);
  if ((typeof w === 'number' && w > 0 && width !== w) || (typeof h === 'number' && h > 0 && height !== h)) {
    const fixed = (d: number | string | null | undefined, letter: string) => (typeof d === 'number' && d > 0 ? String(d) : letter);
    const advice = typeof w === 'number' && typeof h === 'number' ? "leave resize out to use the model's size" : `give --preprocess resize=${fixed(w, 'WIDTH')}x${fixed(h, 'HEIGHT')}`;
    throw new UsageError(`--preprocess resize gives ${width}×${height} images, but input '${input}' takes ${fixed(w, 'any width')}×${fixed(h, 'any height')}: ${advice}`, { code: 'bad-option' });
  }
  if (!width || !height) throw new UsageError(`input '${input}' has no fixed image size; give one with --preprocess resize=WIDTHxHEIGHT`, { code: 'bad-source' });
  return { layout, channels, width, height };
}

/**
 * Interleaved 8-bit pixels (RGBA, `width × height`) → a float tensor of the input's layout:
 * (pixel × scale − mean[c]) / std[c]. A 4-channel input gets RGBA; 1 channel gets luma.
 */
export function pixelsToTensor(rgba: Uint8Array, target: ImageLayout, spec: PreprocessSpec): Float32Array {
  const { width, height, channels, layout } = target;
  const out = new Float32Array(channels * width * height);
  const plane = width * height;
  const order = spec.channels === 'bgr' ? [2, 1, 0, 3] : [0, 1, 2, 3];
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) {
      const raw =
        channels === 1
          ? 0.299 * rgba[p * 4]! + 0.587 * rgba[p * 4 + 1]! + 0.114 * rgba[p * 4 + 2]!
          : rgba[p * 4 + order[c]!]!;
      const mean = spec.mean[c] ?? spec.mean[0]!;
      const std = spec.std[c] ?? spec.std[0]!;
      const value = (raw * spec.scale - mean) / std;
      out[layout === 'nchw' ? c * plane + p : p * channels + c] = value;
    }
  }
  return out;
}
