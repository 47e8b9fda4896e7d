import { LOW_COSINE } from './verify.js';

/**
 * What fidelity figures alone would hide, as sentences: quantize's verification, eval and the HTML
 * report all say them (each adds its own advice and prefix).
 */

/** The outputs that moved far from float (cosine below LOW_COSINE, or none at all), or undefined. */
export function lowCosineText(outputs: readonly { name: string; cosine: number }[]): string | undefined {
  const low = outputs.filter((o) => o.cosine < LOW_COSINE || Number.isNaN(o.cosine));
  if (low.length === 0) return undefined;
  return `${low.map((o) => `'${o.name}' (cosine ${o.cosine.toFixed(4)})`).join(', ')} ${low.length === 1 ? 'is' : 'are'} below cosine ${LOW_COSINE} against float`;
}

/**
 * The float model itself gave NaN or ±Infinity: the figures leave those values out, and the cause
 * is usually the input data (a NaN in a .npy file), not the quantization.
 */
export function floatNonFiniteText(outputs: readonly { name: string; referenceNonFinite: number }[]): string | undefined {
  const bad = outputs.filter((o) => o.referenceNonFinite > 0);
  if (bad.length === 0) return undefined;
  return `the float model gives NaN or infinite values on these inputs (${bad.map((o) => `'${o.name}': ${o.referenceNonFinite}`).join(', ')}); they are left out of the figures. Look for NaN or infinite values in the input data`;
}

/** The model under test gave NaN or ±Infinity where float did not: left out, the figures would overstate the match. */
export function quantizedNonFiniteText(outputs: readonly { name: string; nonFinite: number }[]): string | undefined {
  const bad = outputs.filter((o) => o.nonFinite > 0);
  if (bad.length === 0) return undefined;
  return `the model gives NaN or infinite values where the float model does not (${bad.map((o) => `'${o.name}': ${o.nonFinite}`).join(', ')}); the figures describe only the other values`;
}
