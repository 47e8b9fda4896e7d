import { DataType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/types.js';
import { cannotInfer, type InferContext, type TypeRule } from './context.js';
import { sharedDtype, tensorOf, tryShape } from './common.js';
import { mulDims } from './dims.js';

// Convolutions and pools: the spatial output sizes follow ONNX's conv/pool formulas, with
// auto_pad, dilations and ceil_mode; a symbolic size survives where the output size equals the
// input size (stride 1 with "same" padding), which is what CNN exports with dynamic H, W have.

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Begin pads then end pads, as the attribute lists them. */
  pads: number[];
  autoPad: string;
  ceilMode: boolean;
}

function windowOf(ctx: InferContext, kernel: number[], spatial: number): Window {
  const ones = new Array<number>(spatial).fill(1);
  const window: Window = {
    kernel,
    strides: ctx.ints('strides') ?? ones,
    dilations: ctx.ints('dilations') ?? ones,
    pads: ctx.ints('pads') ?? new Array<number>(2 * spatial).fill(0),
    autoPad: ctx.string('auto_pad', 'NOTSET'),
    ceilMode: ctx.int('ceil_mode', 0) === 1,
  };
  if (window.kernel.length !== spatial || window.strides.length !== spatial || window.pads.length !== 2 * spatial) {
    cannotInfer(`kernel, strides or pads do not match the ${spatial} spatial dims of the input`);
  }
  return window;
}

function pooledSize(input: Dim, w: Window, i: number): Dim {
  const stride = w.strides[i]!;
  const effective = (w.kernel[i]! - 1) * (w.dilations[i] ?? 1) + 1;
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
    if (typeof input === 'number') return Math.ceil(input / stride);
    return stride === 1 ? input : null;
  }
  const padTotal = w.autoPad === 'VALID' ? 0 : w.pads[i]! + w.pads[i + w.kernel.length]!;
  if (typeof input !== 'number') return stride === 1 && padTotal === effective - 1 ? input : null;
  const span = input + padTotal - effective;
  if (span < 0) cannotInfer(`the window (${effective}) is larger than the padded input (${input + padTotal})`);
  if (!w.ceilMode) return Math.floor(span / stride) + 1;
  let size = Math.ceil(span / stride) + 1;
  // The last window must start inside the input or its begin padding (as PyTorch and ORT do).
  if ((size - 1) * stride >= input + (w.autoPad === 'VALID' ? 0 : w.pads[i]!)) size--;
  return size;
}

/** [N, C_out, spatial…] for Conv-like ops; `x` and `w` are input indices of data and weight. */
export function convShape(ctx: InferContext, x: number, w: number): Dim[] | undefined {
  const xs = ctx.shape(x);
  if (!xs || xs.length < 3) return undefined;
  const ws = ctx.shape(w);
  const spatial = xs.length - 2;
  const kernel = ctx.ints('kernel_shape') ?? (ws && ws.slice(2).every((d) => typeof d === 'number') ? (ws.slice(2) as number[]) : undefined);
  const channels: Dim = ws ? ws[0]! : null;
  if (!kernel) return [xs[0]!, channels, ...new Array<Dim>(spatial).fill(null)];
  const window = windowOf(ctx, kernel, spatial);
  return [xs[0]!, channels, ...xs.slice(2).map((d, i) => pooledSize(d, window, i))];
}

const conv: TypeRule = (ctx) => [tensorOf(sharedDtype(ctx, [0, 1]), tryShape(() => convShape(ctx, 0, 1)))];

function convTransposeShape(ctx: InferContext): Dim[] | undefined {
  const xs = ctx.shape(0);
  const ws = ctx.shape(1);
  if (!xs || xs.length < 3) return undefined;
  const spatial = xs.length - 2;
  const channels = ws ? mulDims(ws[1]!, ctx.int('group', 1)) : null;
  const explicit = ctx.ints('output_shape');
  if (explicit) return [xs[0]!, channels, ...explicit.slice(-spatial)];
  const kernel = ctx.ints('kernel_shape') ?? (ws?.slice(2).every((d) => typeof d === 'number') ? (ws.slice(2) as number[]) : undefined);
  if (!kernel) return [xs[0]!, channels, ...new Array<Dim>(spatial).fill(null)];
  const w = windowOf(ctx, kernel, spatial);
  const outputPadding = ctx.ints('output_padding') ?? new Array<number>(spatial).fill(0);
  return [
    xs[0]!,
    channels,
    ...xs.slice(2).map((d, i): Dim => {
      if (typeof d !== 'number') return null;
      const stride = w.strides[i]!;
      if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return d * stride;
      const pads = w.autoPad === 'VALID' ? 0 : w.pads[i]! + w.pads[i + spatial]!;
      return stride * (d - 1) + outputPadding[i]! + (kernel[i]! - 1) * w.dilations[i]! + 1 - pads;
    }),
  ];
}

const convTranspose: TypeRule = (ctx) => [tensorOf(sharedDtype(ctx, [0, 1]), tryShape(() => convTransposeShape(ctx)))];

export function poolShape(ctx: InferContext): Dim[] | undefined {
  const xs = ctx.shape(0);
  const kernel = ctx.ints('kernel_shape');
  if (!xs || xs.length < 3 || !kernel) return undefined;
  const window = windowOf(ctx, kernel, xs.length - 2);
  return [xs[0]!, xs[1]!, ...xs.slice(2).map((d, i) => pooledSize(d, window, i))];
}

const pool: TypeRule = (ctx) => {
  const shape = tryShape(() => poolShape(ctx));
  return [tensorOf(ctx.dtype(0), shape), tensorOf(DataType.INT64, shape)];
};

const globalPool: TypeRule = (ctx) => {
  const xs = ctx.shape(0);
  return [tensorOf(ctx.dtype(0), xs && xs.length >= 2 ? [xs[0]!, xs[1]!, ...new Array<Dim>(xs.length - 2).fill(1)] : undefined)];
};

function maxUnpoolShape(ctx: InferContext): Dim[] | undefined {
  const known = ctx.has(2) ? ctx.knownDims(2) : undefined;
  if (known) return known;
  const xs = ctx.shape(0);
  const kernel = ctx.ints('kernel_shape');
  if (!xs || !kernel || ctx.has(2)) return undefined;
  const w = windowOf(ctx, kernel, xs.length - 2);
  const spatial = xs.slice(2).map((d, i): Dim => (typeof d === 'number' ? (d - 1) * w.strides[i]! + kernel[i]! - w.pads[i]! - w.pads[i + kernel.length]! : null));
  return [xs[0]!, xs[1]!, ...spatial];
}

export const convRules: Record<string, TypeRule> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  MaxUnpool: (ctx) => [tensorOf(ctx.dtype(0), tryShape(() => maxUnpoolShape(ctx)))],
};
