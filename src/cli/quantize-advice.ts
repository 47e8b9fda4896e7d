import { lowCosineText } from '../eval/fidelity-warnings.js';
import type { QuantizeOptions } from '../quantize/options.js';
import { MIN_BLOCK_SIZE } from '../quant/int4.js';

/** How the model was quantized, as far as the advice needs: the options and the CLI's own flags. */
export interface QuantizeSettings extends Pick<QuantizeOptions, 'mode' | 'weightMethod' | 'biasCorrection' | 'int4Method' | 'blockSize'> {
  targetCosine?: number;
  floatWhereFaster?: boolean;
  /** Whether --calib was given (a suggestion that needs it says so only when it was not). */
  calib?: boolean;
}

/**
 * A warning naming the outputs that moved far from float, and where to look: accuracy that
 * collapses should come with a hint of which layer did it. The fixes it suggests are those not
 * used already: advice to pass a flag the user passed reads as if it had been ignored.
 */
export function fidelityWarning(outputs: readonly { name: string; cosine: number }[], settings: QuantizeSettings): string | undefined {
  const low = lowCosineText(outputs);
  if (!low) return undefined;
  const calib = settings.calib ? '' : ' --calib SOURCE';
  const gptq = settings.weightMethod !== 'gptq';
  const fixes: string[] = [];
  switch (settings.mode) {
    case 'int8':
      if (settings.targetCosine === undefined) fixes.push(`\`--target-cosine 0.98\` keeps the costliest in float${settings.floatWhereFaster ? ' (instead of `--float-where-faster`)' : ' (`--float-where-faster` the Convs int8 does not speed up)'}`);
      if (gptq) fixes.push('`--weight-method gptq` rounds weights from their inputs');
      if (!settings.biasCorrection) fixes.push('`--bias-correction` takes back the mean drift of each layer');
      if (fixes.length === 0) fixes.push('`--exclude` leaves them in float');
      break;
    case 'weights-int8':
      fixes.push('`--exclude` leaves them in float');
      if (gptq) fixes.push(`\`--weight-method gptq${calib}\` rounds weights from their inputs`);
      if (!settings.biasCorrection) fixes.push(`\`--bias-correction${calib}\` takes back the mean drift of each Conv and Gemm`);
      break;
    case 'int4':
      if (settings.int4Method !== 'gptq') fixes.push(`\`--int4-method gptq${calib}\` rounds weights from their inputs`);
      if ((settings.blockSize ?? Infinity) > MIN_BLOCK_SIZE) fixes.push('a smaller `--block-size` gives each scale fewer weights');
      fixes.push('`--exclude` leaves the worst layers in float');
      break;
    case 'dynamic':
      fixes.push('`--exclude` leaves them in float');
      break;
    case 'fp16':
      fixes.push('`--fp16-block` or `--exclude` keeps them in float32');
      break;
  }
  const joined = fixes.length > 1 ? `${fixes.slice(0, -1).join(', ')}, and ${fixes.at(-1)}` : fixes[0]!;
  return `${low}: \`--report FILE.html\` or \`lowbit eval OUTPUT --reference MODEL --data SOURCE --per-layer\` names the layers that cost most; ${joined}`;
}
