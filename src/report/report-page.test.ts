// The HTML report in a real browser: Debian's chromium driven by playwright-core. Each report must
// load with no console error, show every section, draw every chart, and leave a screenshot worth
// looking at (its path is printed). Skips, saying why, where /usr/bin/chromium is not installed.
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { CHROMIUM_ABSENT, canvasInk, checkPageInChromium, launchChromium } from '../../test/helpers/chromium.js';
import { GraphBuilder } from '../ir/builder.js';
import { attr } from '../ir/attribute.js';
import { DataType } from '../ir/dtype.js';
import { float32Tensor } from '../ir/tensor/values.js';
import { seededRandom } from '../util/random.js';
import { readModelFile, writeModelFile } from '../node/model-files.js';
import { quantize } from '../quantize/quantize.js';
import type { QuantizeOptions } from '../quantize/options.js';
import { openSource } from '../node/data-sources.js';
import { nodeCalibrator } from '../node/calibrator.js';
import { hasInt8DotProduct } from '../node/cpu.js';
import { parsePreprocess } from '../data/preprocess.js';
import { photoPaths } from '../../test/helpers/photos.js';
import { convertToFloat32 } from '../passes/to-fp32/convert-to-float32.js';
import { writeQuantizeReport, type ReportRunOptions } from './gather.js';
import { REPORT_SECTIONS } from './render.js';
import { absentReason, corpusModel, skipWithReason } from '../../test/helpers/corpus.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const OUT = tempDir('report');
/** Light measuring: the test checks the page, not the figures. */
const LIGHT: ReportRunOptions = { benchRuns: 2, benchWarmup: 1, perLayerSamples: 1, threads: 2 };
/** A full-page screenshot of a report with its charts drawn is tens of kilobytes; a blank page is a few. */
const MIN_SCREENSHOT_BYTES = 40_000;

let context: BrowserContext | undefined;

beforeAll(async () => {
  context = await launchChromium();
});

afterAll(async () => {
  await context?.close();
  // Keep the pages and screenshots for people to look at; the model files (ISNet's is 176 MB) go.
  for (const file of readdirSync(OUT)) if (file.endsWith('.onnx')) rmSync(join(OUT, file));
});

function needChromium(ctx: { skip: (note?: string) => void }): BrowserContext | undefined {
  if (!context) skipWithReason(ctx, CHROMIUM_ABSENT!);
  return context;
}

/** Open a report, check it as a reader would see it, and keep a screenshot; returns the screenshot's path. */
async function checkPage(browser: BrowserContext, htmlPath: string, name: string): Promise<string> {
  return checkPageInChromium(browser, htmlPath, async (page) => {
    for (const id of REPORT_SECTIONS) {
      const section = page.locator(`section#${id}`);
      expect(await section.isVisible(), `section ${id}`).toBe(true);
      expect((await section.locator('h2').textContent())?.length, `heading of ${id}`).toBeGreaterThan(0);
    }
    // Every canvas holds a Chart.js chart with ink on it.
    for (const c of await canvasInk(page)) {
      expect(c.chart, `${c.id} has no chart`).toBe(true);
      expect(c.inked, `${c.id} is blank`).toBeGreaterThan(500);
    }
    const shot = join(OUT, `${name}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16), 'screenshot width').toBe(1200);
    expect(png.length, 'screenshot size').toBeGreaterThan(MIN_SCREENSHOT_BYTES);
    process.stderr.write(`report ${htmlPath}\nscreenshot ${shot}\n`);
    return shot;
  });
}

/** Five convolutions and a classifier, written to `dir`. */
function writeSmallCnn(dir: string): string {
  const rand = seededRandom(11);
  const floats = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
  const b = new GraphBuilder(13);
  let h = b.input('image', DataType.FLOAT, [1, 3, 32, 32]);
  let channels = 3;
  for (let i = 0; i < 5; i++) {
    const w = b.initializer(`w${i}`, float32Tensor([16, channels, 3, 3], floats(16 * channels * 9, 0.3)));
    h = b.op('Relu', [b.op('Conv', [h, w, b.initializer(`b${i}`, float32Tensor([16], floats(16, 0.1)))], { name: `conv${i}`, attributes: { pads: attr.ints([1, 1, 1, 1]) } })], { name: `relu${i}` });
    channels = 16;
  }
  const flat = b.op('Flatten', [b.op('GlobalAveragePool', [h], { name: 'pool' })], { name: 'flatten' });
  b.output(b.op('MatMul', [flat, b.initializer('fc_w', float32Tensor([16, 10], floats(160, 0.5)))], { name: 'fc' }), DataType.FLOAT, [1, 10]);
  const path = join(dir, 'small-cnn.onnx');
  writeModelFile(b.model, path);
  return path;
}

/** Quantize a float file the way `lowbit quantize --report` does (weights-int8 unless told), and write the report. */
async function quantizeReport(floatPath: string, name: string, dims: Record<string, number>, exclude: string[] = [], options: Partial<QuantizeOptions> = {}): Promise<string> {
  const loaded = readModelFile(floatPath);
  const result = await quantize(loaded.model, { mode: 'weights-int8', exclude, ...options });
  const quantizedPath = join(OUT, `${name}.int8.onnx`);
  writeModelFile(loaded.model, quantizedPath);
  return writeQuantizeReport(join(OUT, `${name}.html`), { floatPath, quantizedPath, result, dims, samples: 2, ...LIGHT });
}

describe('the HTML report in Chromium', () => {
  it('renders a small CNN quantized to weights-int8', async (ctx) => {
    const browser = needChromium(ctx);
    if (!browser) return;
    const html = await quantizeReport(writeSmallCnn(tempDir('cnn')), 'small-cnn', {}, ['conv4']);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain('excluded by --exclude conv4'); // the node left in float, with its reason
    await checkPage(browser, html, 'small-cnn');
  });

  it.for([
    ['ppocrv4-det', 'PaddleOCR text detection: Constant-node weights, ConvTranspose'],
    ['tinylm', 'a small byte-level GPT: MatMul weights'],
  ] as const)('renders %s quantized to weights-int8 (%s)', async ([id], ctx) => {
    const browser = needChromium(ctx);
    if (!browser) return;
    const model = corpusModel(id);
    const absent = absentReason(model.path, id);
    if (absent) return skipWithReason(ctx, absent);
    await checkPage(browser, await quantizeReport(model.path, id, model.dims), id);
  });

  it('renders ISNet 1024×1024 (imgly medium made float32 by convertToFloat32) quantized to static int8 on a photo', async (ctx) => {
    const browser = needChromium(ctx);
    if (!browser) return;
    const medium = corpusModel('imgly-isnet-medium');
    const absent = absentReason(medium.path, medium.id);
    if (absent) return skipWithReason(ctx, absent);
    const float = readModelFile(medium.path).model;
    convertToFloat32(float);
    const photos = photoPaths(['astronaut.png']);
    if (photos.length === 0) return skipWithReason(ctx, 'corpus photos are absent (Debian python3-skimage); run `npm run corpus`');
    const floatPath = join(OUT, 'isnet-fp32.onnx');
    writeModelFile(float, floatPath);
    const calib = tempDir('report-photo');
    copyFileSync(photos[0]!, join(calib, 'astronaut.png'));
    const source = openSource(calib, float, { preprocess: parsePreprocess('mean=0.5,std=1') });
    const int8 = { mode: 'int8' as const, reduceRange: hasInt8DotProduct() === false, calibrate: nodeCalibrator(source, { method: 'minmax' }) };
    await checkPage(browser, await quantizeReport(floatPath, 'isnet', medium.dims, [], int8), 'isnet');
  }, 1_200_000);
});
