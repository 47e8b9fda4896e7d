// Synthetic printed pages (lines of words in several fonts, sizes and greys on paper tones),
// rendered from SVG with sharp: calibration inputs for a text detector that look like its domain,
// where the corpus photos hold almost no text. Shared by the tests (test/helpers/text-pages.ts)
// and the benchmarks; plain JavaScript so that both can import it.
import { join } from 'node:path';
import sharp from 'sharp';

const WORDS = 'the of and to in is for on that by this with from at as be are or it an was which not have has but can all their more one when some other new also time these two may first only any most such into after over out many where those how what then much'.split(' ');
const FONTS = ['sans-serif', 'serif', 'monospace'];
const PAPER = ['#ffffff', '#f4f1e8', '#e8eef4', '#fdfdf5'];

/** Writes `count` pages of `width`×`height` pixels into the folder `dir` and returns it; the same seed gives the same pages. */
export async function writeTextPages(dir, count, width = 640, height = 480, seed = 7) {
  let state = seed;
  const rnd = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  for (let i = 0; i < count; i++) {
    let y = 20;
    let body = '';
    while (y < height - 10) {
      const size = 10 + Math.floor(rnd() * 22);
      y += size * 1.3;
      const words = Array.from({ length: 2 + Math.floor(rnd() * 9) }, () => pick(WORDS)).join(' ');
      const text = rnd() < 0.3 ? `${words} ${Math.floor(rnd() * 10000)}` : words;
      const grey = Math.floor(rnd() * 90);
      const bold = rnd() < 0.2 ? ' font-weight="bold"' : '';
      body += `<text x="${Math.floor(rnd() * width * 0.3)}" y="${y.toFixed(0)}" font-size="${size}" font-family="${pick(FONTS)}"${bold} fill="rgb(${grey},${grey},${grey})">${text}</text>`;
    }
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${PAPER[i % PAPER.length]}"/>${body}</svg>`;
    await sharp(Buffer.from(svg)).png().toFile(join(dir, `page-${i}.png`));
  }
  return dir;
}
