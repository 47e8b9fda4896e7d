import { DenseTensor } from '../../../ir/tensor/dense.js';
import { DataType } from '../../../ir/dtype.js';
import { constant, isUnused, keepOutputs } from '../rewrite.js';
import type { StepAdapter } from '../step.js';

/**
 * Dropout at 10: the optional `mask` output changed type from the input's type to bool. A mask
 * nothing reads is dropped; one that is read cannot keep its meaning, so the node is refused.
 */
export const dropoutMaskTo10: StepAdapter = {
  check(ctx) {
    const mask = ctx.node.outputs[1];
    return isUnused(mask) ? undefined : `its mask output '${mask!.name}' is read, and the mask turns from the input's type into bool at opset 10`;
  },
  apply(ctx) {
    if (ctx.node.outputs.length > 1) return keepOutputs(ctx, 1);
  },
};

/**
 * Dropout at 12: `ratio` moved from an attribute to an optional float input, and `training_mode`
 * (default false) was added. In inference mode the ratio is not used; it is still carried over as
 * a float32 scalar so that the model says what it said before. The inference mask changed too:
 * onnxruntime gives an all-false mask before 12 and an all-true one from 12, so a read mask is
 * refused.
 */
export const dropoutRatioToInput: StepAdapter = {
  check(ctx) {
    const mask = ctx.node.outputs[1];
    return isUnused(mask) ? undefined : `its mask output '${mask!.name}' is read, and the inference mask turns from all false to all true at opset 12`;
  },
  apply(ctx) {
    const { node } = ctx;
    const ratio = node.attrFloat('ratio');
    node.removeAttr('ratio');
    if (ratio === undefined) return;
    const value = constant(ctx, DenseTensor.fromTyped(DataType.FLOAT, [], Float32Array.of(ratio)), `${node.name || 'Dropout'}_ratio`);
    node.setInputs([node.input(0) ?? null, value]);
  },
};
