// Rules for external data locations, shared by reading (refuse paths that leave the model's folder)
// and writing (choose a file name next to the output). Pure string logic: no fs here.

/**
 * Why a location may not be read, or undefined when it is fine. ONNX says locations are POSIX
 * paths relative to the model's folder; anything absolute or climbing out of that folder could read
 * any file on the machine (`../../etc/passwd`), so it is refused.
 */
export function unsafeLocationReason(location: string): string | undefined {
  if (location === '') return 'the location is empty';
  if (location.includes('\0')) return 'the location contains a NUL byte';
  if (location.startsWith('/') || location.startsWith('\\')) return 'the location is an absolute path';
  if (/^[a-zA-Z]:/.test(location)) return 'the location is an absolute Windows path';
  const parts = location.split(/[\\/]+/);
  let depth = 0;
  for (const part of parts) {
    if (part === '..') depth--;
    else if (part !== '.' && part !== '') depth++;
    if (depth < 0) return 'the location points outside the model\'s folder';
  }
  return undefined;
}

/** Normalised relative location used as a cache key ("./w.bin" and "w.bin" are one file). */
export function normalizeLocation(location: string): string {
  const parts: string[] = [];
  for (const part of location.split(/[\\/]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}
