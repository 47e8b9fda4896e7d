import { UsageError } from '../errors.js';

/** "a,b , c" → ['a', 'b', 'c'] */
export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** "--dim batch=1,seq=128,x:2=224" → { batch: 1, seq: 128, 'x:2': 224 } */
export function parseDims(text: string | undefined): Record<string, number> {
  const dims: Record<string, number> = {};
  if (!text) return dims;
  for (const part of parseList(text)) {
    const eq = part.lastIndexOf('=');
    const name = part.slice(0, eq).trim();
    const value = Number(part.slice(eq + 1));
    if (eq <= 0 || !Number.isInteger(value) || value <= 0) {
      throw new UsageError(`--dim takes NAME=SIZE pairs separated by commas (e.g. batch=1,sequence=128), got '${part}'`, { code: 'bad-option' });
    }
    dims[name] = value;
  }
  return dims;
}

/** "verifying 3/8" or "verifying 3" when the total is unknown. */
export function progressLine(label: string, done: number, total: number | undefined): string {
  return total ? `${label} ${done}/${total}` : `${label} ${done}`;
}
