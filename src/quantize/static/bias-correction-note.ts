import type { BiasCorrectionOutcome } from './bias-correction.js';

/**
 * What bias correction did, as one note: how many biases moved and from what, the layers that got
 * a bias they did not have (the file grows by it), and the quantized layers it left alone and why;
 * or, when nothing moved, that it changed nothing and why.
 */
export function biasCorrectionNote(outcome: BiasCorrectionOutcome, mode: 'int8' | 'weights-int8'): string {
  const uncovered = outcome.uncovered.join(', ');
  if (outcome.corrected === 0) {
    const why = outcome.layers === 0 ? 'no layer had its weight quantized (it corrects the biases of Conv and Gemm layers with quantized weights)' : `none of the ${outcome.layers} layer(s) with a quantized weight is one it corrects: ${uncovered}`;
    return `Bias correction changed nothing: ${why}.`;
  }
  const drift =
    mode === 'int8'
      ? `the mean drift of their layer's output (from rounding the weight and the ${outcome.inputBits.join('- or ')}-bit input), measured on the quantized model`
      : 'the mean drift (W − Ŵ)·E[x] that rounding their weight causes, E[x] measured on the quantized model';
  const added = outcome.added > 0 ? `; ${outcome.added} of these layer(s) had no bias and were given one, which grows the file` : '';
  return `Bias correction: ${outcome.corrected} Conv/Gemm bias(es) take back ${drift} over ${outcome.samples} calibration sample(s)${added}${uncovered ? `; not done for ${uncovered}` : ''}.`;
}
