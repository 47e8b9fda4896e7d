// Synthetic printed pages for calibrating a text detector: see bench/text-pages.mjs (shared with the benchmarks).
export { textPages } from '../../bench/text-pages.mjs';
