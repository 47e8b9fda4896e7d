// A network is described as data (a list of layer specs), so that worker threads can build the same
// network from a message and the ONNX exporter and the QAT rewrite can read it.

export type LayerSpec =
  | { type: 'conv2d'; out: number; kernel: number; stride?: number; pad?: number; name?: string; quantize?: WeightQuantSpec }
  | { type: 'maxpool2d'; kernel: number; stride?: number; name?: string }
  | { type: 'relu'; name?: string }
  | { type: 'flatten'; name?: string }
  | { type: 'linear'; out: number; name?: string; quantize?: WeightQuantSpec }
  | { type: 'batchnorm2d'; eps?: number; momentum?: number; name?: string }
  /** QAT only: fake quantization (uint8, asymmetric) of the tensor named `tensor` in the exported graph. */
  | { type: 'fakequant'; tensor: string; name?: string; ema?: number };

/** QAT: the layer computes with its weights as static int8 stores them (int8 per output channel; 7-bit with reduceRange). */
export interface WeightQuantSpec {
  reduceRange?: boolean;
}

export interface ModelSpec {
  /** Shape of one sample, e.g. [1, 28, 28]. */
  input: number[];
  layers: LayerSpec[];
}

/** Name of the model's input in the exported graph. */
export const INPUT_NAME = 'image';
/** Name of the last layer's output (the class scores) in the exported graph. */
export const OUTPUT_NAME = 'logits';

/**
 * The seed LeNet: conv 6@5×5 (pad 2, as LeNet-5 on 28×28 keeps the 32×32 geometry of the original)
 * → maxpool 2 → conv 16@5×5 → maxpool 2 → fc 120 → fc 84 → fc 10, ReLU between.
 */
export function lenetSpec(options: { batchNorm?: boolean } = {}): ModelSpec {
  const bn = (): LayerSpec[] => (options.batchNorm ? [{ type: 'batchnorm2d' }] : []);
  return {
    input: [1, 28, 28],
    layers: [
      { type: 'conv2d', out: 6, kernel: 5, pad: 2 },
      ...bn(),
      { type: 'relu' },
      { type: 'maxpool2d', kernel: 2 },
      { type: 'conv2d', out: 16, kernel: 5 },
      ...bn(),
      { type: 'relu' },
      { type: 'maxpool2d', kernel: 2 },
      { type: 'flatten' },
      { type: 'linear', out: 120 },
      { type: 'relu' },
      { type: 'linear', out: 84 },
      { type: 'relu' },
      { type: 'linear', out: 10 },
    ],
  };
}

const PREFIX: Record<LayerSpec['type'], string> = {
  conv2d: 'conv',
  maxpool2d: 'pool',
  relu: 'relu',
  flatten: 'flatten',
  linear: 'fc',
  batchnorm2d: 'bn',
  fakequant: 'fq',
};

/** Every layer with a name: its own, or its kind and a running number ("conv1", "relu3", "fc2"). */
export function nameLayers(spec: ModelSpec): LayerSpec[] {
  const counts = new Map<string, number>();
  const taken = new Set(spec.layers.map((l) => l.name).filter((n): n is string => n !== undefined));
  return spec.layers.map((layer) => {
    if (layer.name) return layer;
    const prefix = PREFIX[layer.type];
    let n = counts.get(prefix) ?? 0;
    let name: string;
    do name = `${prefix}${++n}`;
    while (taken.has(name));
    counts.set(prefix, n);
    taken.add(name);
    return { ...layer, name };
  });
}

/** Output shape of one layer for one sample. */
export function outputShape(layer: LayerSpec, input: readonly number[]): number[] {
  switch (layer.type) {
    case 'conv2d': {
      const [, h, w] = chw(input, layer);
      const s = layer.stride ?? 1;
      const p = layer.pad ?? 0;
      const out = [layer.out, Math.floor((h + 2 * p - layer.kernel) / s) + 1, Math.floor((w + 2 * p - layer.kernel) / s) + 1];
      if (out[1]! < 1 || out[2]! < 1) throw new RangeError(`${layer.name ?? 'conv2d'}: a ${layer.kernel}×${layer.kernel} kernel does not fit a ${h}×${w} input`);
      return out;
    }
    case 'maxpool2d': {
      const [c, h, w] = chw(input, layer);
      const s = layer.stride ?? layer.kernel;
      return [c, Math.floor((h - layer.kernel) / s) + 1, Math.floor((w - layer.kernel) / s) + 1];
    }
    case 'batchnorm2d':
      chw(input, layer);
      return [...input];
    case 'flatten':
      return [input.reduce((a, b) => a * b, 1)];
    case 'linear':
      if (input.length !== 1) throw new RangeError(`${layer.name ?? 'linear'}: needs a flat input, got [${input.join(', ')}]; add a flatten layer`);
      return [layer.out];
    case 'relu':
    case 'fakequant':
      return [...input];
  }
}

function chw(input: readonly number[], layer: LayerSpec): [number, number, number] {
  if (input.length !== 3) throw new RangeError(`${layer.name ?? layer.type}: needs a [C, H, W] input, got [${input.join(', ')}]`);
  return input as [number, number, number];
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
