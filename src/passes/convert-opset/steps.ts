import { axesAttributeToInput } from './adapters/axes-to-input.js';
import { batchNormDropSpatial, batchNormTrainingOutputs } from './adapters/batch-norm.js';
import { clipBoundsToInputs } from './adapters/clip-inputs.js';
import { dftAxisToInput } from './adapters/dft-axis.js';
import { dropoutMaskTo10, dropoutRatioToInput } from './adapters/dropout.js';
import { gridSampleRenameModes, roiAlignKeepCoordinates } from './adapters/attribute-meaning.js';
import { padAttributesToInputs } from './adapters/pad-inputs.js';
import { resizeTo11 } from './adapters/resize-form.js';
import { scatterToScatterElements } from './adapters/scatter-elements.js';
import { sliceAttributesToInputs } from './adapters/slice-inputs.js';
import { softmaxAxisTo13 } from './adapters/softmax-axis.js';
import { splitNumOutputs, splitSizesToInput } from './adapters/split-inputs.js';
import { topkKToInput } from './adapters/topk-k-input.js';
import { upsampleScalesToInput, upsampleToResize } from './adapters/upsample-to-resize.js';
import type { Step } from './step.js';

/**
 * The schema changes (from opset-history.ts) that a node cannot cross as it is, keyed "Op@version".
 * Every other change was reviewed and left as it is: it only widened the accepted types, allowed
 * negative axes or indices, or added attributes and inputs whose defaults keep the old behaviour
 * (e.g. MaxPool-10 ceil_mode, Reshape-14 allowzero, QuantizeLinear-13 axis, Resize-13/18/19,
 * Pad-18 axes, Cast-19 saturate, LSTM-14 layout).
 */
export const STEPS: Readonly<Record<string, Step>> = {
  'BatchNormalization@9': batchNormDropSpatial,
  'Scan@9': { refuse: 'Scan-8 has a batch axis and sequence_lens that Scan-9 dropped; its body would have to be rewritten' },
  'Upsample@9': upsampleScalesToInput,

  'Upsample@10': upsampleToResize,
  'Slice@10': sliceAttributesToInputs,
  'TopK@10': topkKToInput,
  'Dropout@10': dropoutMaskTo10,

  'Clip@11': clipBoundsToInputs,
  'Pad@11': padAttributesToInputs,
  'Resize@11': resizeTo11,
  'Scatter@11': scatterToScatterElements,

  'Dropout@12': dropoutRatioToInput,

  'Softmax@13': softmaxAxisTo13,
  'LogSoftmax@13': softmaxAxisTo13,
  'Hardmax@13': softmaxAxisTo13,
  'Squeeze@13': axesAttributeToInput,
  'Unsqueeze@13': axesAttributeToInput,
  'ReduceSum@13': axesAttributeToInput,
  'Split@13': splitSizesToInput,

  'BatchNormalization@14': batchNormTrainingOutputs,

  'RoiAlign@16': roiAlignKeepCoordinates,

  'Split@18': splitNumOutputs,
  'ReduceL1@18': axesAttributeToInput,
  'ReduceL2@18': axesAttributeToInput,
  'ReduceLogSum@18': axesAttributeToInput,
  'ReduceLogSumExp@18': axesAttributeToInput,
  'ReduceMax@18': axesAttributeToInput,
  'ReduceMean@18': axesAttributeToInput,
  'ReduceMin@18': axesAttributeToInput,
  'ReduceProd@18': axesAttributeToInput,
  'ReduceSumSquare@18': axesAttributeToInput,

  'DFT@20': dftAxisToInput,
  'GridSample@20': gridSampleRenameModes,

  'GroupNormalization@21': { refuse: 'GroupNormalization-21 takes scale and bias per channel instead of per group' },
};

export function stepFor(op: string, version: number): Step | undefined {
  return STEPS[`${op}@${version}`];
}
