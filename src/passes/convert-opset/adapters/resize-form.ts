import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { DenseTensor } from '../../../ir/tensor/dense.js';
import { toNumbers } from '../../../ir/tensor/values.js';
import type { Value } from '../../../ir/value.js';
import { constant } from '../rewrite.js';
import type { StepAdapter, StepContext } from '../step.js';

/**
 * Resize at 11. Resize-10 (and Upsample) mapped output to input coordinates as x / scale
 * ("asymmetric") and, in nearest mode, truncated the result when the axis is enlarged and took the
 * ceiling when it is shrunk (onnxruntime's legacy rounding). Resize-11 makes both explicit:
 * coordinate_transformation_mode = asymmetric and nearest_mode = floor or ceil. One nearest_mode
 * serves all axes, so scales that enlarge some axes and shrink others are refused, as are scales
 * that are not constant (their direction is unknown).
 */
export const resizeTo11: StepAdapter = {
  check(ctx) {
    const mode = ctx.node.attrString('mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear') return `Resize-10 has no mode '${mode}'`;
    if (mode === 'nearest' && typeof nearestModeFor(ctx.node.input(1)) !== 'string') {
      return nearestModeFor(ctx.node.input(1)) === undefined
        ? 'its scales are not constant, so it is unknown whether nearest rounding is floor (enlarging) or ceil (shrinking)'
        : 'its scales enlarge some axes and shrink others, which no single nearest_mode reproduces';
    }
    return undefined;
  },
  apply(ctx) {
    const scales = ctx.node.input(1)!;
    writeAsymmetricResize(ctx, scales, nearestModeFor(scales) as string);
  },
};

/**
 * Give the node the Resize-11+ form of an old asymmetric resize: inputs (X, roi, scales), where
 * roi is omitted from 13 on and an empty tensor before (it is required at 11 and 12 but only read
 * by tf_crop_and_resize).
 */
export function writeAsymmetricResize(ctx: StepContext, scales: Value, nearestMode: string): void {
  const { node } = ctx;
  const roi = ctx.target >= 13 ? null : constant(ctx, DenseTensor.fromTyped(DataType.FLOAT, [0], new Float32Array(0)), `${node.name || 'Resize'}_roi`);
  node.setInputs([node.input(0) ?? null, roi, scales]);
  node.setAttr('coordinate_transformation_mode', attr.string('asymmetric'));
  if (node.attrString('mode', 'nearest') === 'nearest') node.setAttr('nearest_mode', attr.string(nearestMode));
}

/** 'floor' / 'ceil' for constant scales all ≥ 1 / all ≤ 1; null when mixed; undefined when not constant. */
function nearestModeFor(scales: Value | undefined): string | null | undefined {
  const tensor = scales?.constTensor();
  if (!tensor) return undefined;
  const values = toNumbers(tensor);
  if (values.every((s) => s >= 1)) return 'floor';
  if (values.every((s) => s <= 1)) return 'ceil';
  return null;
}
