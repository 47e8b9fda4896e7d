// Synthetic printed pages for calibrating a text detector: see bench/text-pages.mjs (shared with the benchmarks).
import { writeTextPages } from '../../bench/text-pages.mjs';
import { tempDir } from './temp-dir.js';

/** A new temporary folder with `count` printed pages (removed after the test file). */
export function textPages(count: number): Promise<string> {
  return writeTextPages(tempDir('pages'), count);
}
