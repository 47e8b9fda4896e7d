import { DataType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/types.js';
import { cannotInfer, type InferContext, type TypeRule } from './context.js';
import { sameAs, tensorOf, tryShape } from './common.js';
import { mulDims, normalizeAxis } from './dims.js';

// Normalizations and the image-layout operators next to them.

/** Running or saved statistics are per channel: [C], typed like the mean input when there is one. */
const batchNormalization: TypeRule = (ctx) => {
  const x = tensorOf(ctx.dtype(0), ctx.shape(0));
  const channels = ctx.shape(0)?.[1];
  const statsType = ctx.optionalDtype(3) ?? x.elemType;
  const stats = tensorOf(statsType, channels !== undefined ? [channels] : ctx.shape(3));
  return [x, stats, stats, stats, stats];
};

/**
 * LayerNormalization's Mean and InvStdDev keep the dims before `axis` and are 1 after it; their
 * type is stash_type (float by default). The com.microsoft form behaves the same.
 */
const layerNormalization: TypeRule = (ctx) => {
  const x = tensorOf(ctx.dtype(0), ctx.shape(0));
  const shape = ctx.shape(0);
  const stats = tryShape(() => {
    if (!shape) return undefined;
    const axis = normalizeAxis(ctx.int('axis', -1), shape.length);
    return shape.map((d, i) => (i < axis ? d : 1));
  });
  const stash = ctx.int('stash_type', 1) as DataType;
  return [x, tensorOf(stash, stats), tensorOf(stash, stats)];
};

function depthToSpaceShape(ctx: InferContext, inverse: boolean): Dim[] | undefined {
  const s = ctx.shape(0);
  const b = ctx.int('blocksize');
  if (!s || s.length !== 4 || !b) return undefined;
  const [n, c, h, w] = s as [Dim, Dim, Dim, Dim];
  if (!inverse) return [n, typeof c === 'number' ? c / (b * b) : null, mulDims(h, b), mulDims(w, b)];
  const div = (d: Dim) => (typeof d === 'number' ? d / b : null);
  return [n, mulDims(c, b * b), div(h), div(w)];
}

/** GridSample: [N, C] of the input, then the grid's spatial dims. */
function gridSampleShape(ctx: InferContext): Dim[] | undefined {
  const x = ctx.shape(0);
  const grid = ctx.shape(1);
  if (!x || !grid) return undefined;
  return [x[0]!, x[1]!, ...grid.slice(1, -1)];
}

function roiShape(ctx: InferContext, pooled: Dim[]): Dim[] | undefined {
  const x = ctx.shape(0);
  const rois = ctx.shape(1);
  return [rois?.[0] ?? null, x?.[1] ?? null, ...pooled];
}

const roiAlign: TypeRule = (ctx) => [
  tensorOf(ctx.dtype(0), roiShape(ctx, [ctx.int('output_height', 1), ctx.int('output_width', 1)])),
];

const maxRoiPool: TypeRule = (ctx) => {
  const pooled = ctx.ints('pooled_shape');
  if (!pooled) cannotInfer('MaxRoiPool has no pooled_shape');
  return [tensorOf(ctx.dtype(0), roiShape(ctx, pooled))];
};

export const normRules: Record<string, TypeRule> = {
  BatchNormalization: batchNormalization,
  InstanceNormalization: sameAs(0),
  GroupNormalization: sameAs(0),
  RMSNormalization: sameAs(0),
  LRN: sameAs(0),
  LayerNormalization: layerNormalization,
  // ONNX Runtime registers its RMS norm in the ai.onnx domain, as it once did LayerNormalization.
  SimplifiedLayerNormalization: layerNormalization,
  DepthToSpace: (ctx) => [tensorOf(ctx.dtype(0), depthToSpaceShape(ctx, false))],
  SpaceToDepth: (ctx) => [tensorOf(ctx.dtype(0), depthToSpaceShape(ctx, true))],
  GridSample: (ctx) => [tensorOf(ctx.dtype(0), gridSampleShape(ctx))],
  RoiAlign: roiAlign,
  MaxRoiPool: maxRoiPool,
};

export { layerNormalization };
