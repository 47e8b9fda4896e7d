// The `lowbit demo` page in a real browser (Debian's chromium through playwright-core, as the
// report's page test does): no console error, every section shown, every chart drawn, every digit
// picture decoded. Skips, saying why, where /usr/bin/chromium is not installed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { CHROMIUM_ABSENT, canvasInk, checkPageInChromium, launchChromium } from './helpers/chromium.js';
import sharp from 'sharp';
import { DEMO_SECTIONS, renderDemoPage, type DemoPageData } from '../src/report/demo-page.js';
import { loadReportAssets } from '../src/report/chart-asset.js';
import { corpusData, skipWithReason } from './helpers/corpus.js';
import { lowbit } from './helpers/cli.js';
import { tempDir } from './helpers/temp-dir.js';

const OUT = tempDir('demo-page');
let context: BrowserContext | undefined;

beforeAll(async () => {
  context = await launchChromium();
});

afterAll(async () => {
  await context?.close();
});

/** A page with made-up figures: the page is checked, not the numbers. */
async function syntheticPage(): Promise<string> {
  const digit = async (label: number) => {
    const pixels = Uint8Array.from({ length: 784 }, (_, i) => ((i % 28) + Math.floor(i / 28)) * 4 + label);
    const png = new Uint8Array(await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer());
    return { png, label, predictions: [label, label, (label + 1) % 10, label] };
  };
  const row = (label: string, short: string, top1: number, bytes: number) => ({ label, short, file: `/x/${short}.onnx`, bytes, top1, correct: Math.round(top1 * 2000), labelled: 2000, deltaPoints: (top1 - 0.98) * 100, latency: { medianMs: 0.1, p10Ms: 0.09, p90Ms: 0.12, runs: 300 }, batchedMsPerDigit: 0.05 });
  const data: DemoPageData = {
    title: 'lowbit demo: the seed LeNet, fp32 and int8',
    tool: 'lowbit test',
    command: 'lowbit demo',
    dataNote: '10,000 MNIST digits.',
    rows: [row('fp32', 'fp32', 0.98, 248_000), row('int8 post-training', 'PTQ', 0.979, 72_000), { ...row('int8 QAT', 'QAT', 0.9815, 72_900), fakeQuant: { top1: 0.9815, agreement: 1 } }, row('int8 QAT, 8-bit loss', 'QAT+8b loss', 0.981, 72_900)],
    notes: ['a note <with> markup to escape'],
    training: [{ label: 'fp32', epochs: 2, seconds: 10, imagesPerSecond: 1600, threads: 2, cached: false, lossPerEpoch: [0.5, 0.1], accuracyPerEpoch: [0.8, 0.95] }],
    quantizedLoss: { lossScale: 32, saturated: 0.001, vanished: 0.97 },
    digits: await Promise.all(Array.from({ length: 12 }, (_, i) => digit(i % 10))),
    digitSize: 28,
    wallSeconds: 60,
  };
  const path = join(OUT, 'synthetic.html');
  writeFileSync(path, renderDemoPage(data, loadReportAssets()));
  return path;
}

async function checkPage(browser: BrowserContext, htmlPath: string, name: string): Promise<void> {
  await checkPageInChromium(browser, htmlPath, async (page) => {
    for (const id of DEMO_SECTIONS) expect(await page.locator(`section#${id}`).isVisible(), `section ${id}`).toBe(true);
    const charts = await canvasInk(page);
    expect(charts.map((c) => c.id)).toEqual(['chart-top1', 'chart-latency']);
    for (const c of charts) expect(c.inked, `${c.id} is blank`).toBeGreaterThan(500);
    const images = await page.evaluate(() => Array.from(document.querySelectorAll('.digit img')).map((img) => ({ w: (img as HTMLImageElement).naturalWidth, done: (img as HTMLImageElement).complete })));
    expect(images.length).toBeGreaterThan(0);
    for (const im of images) expect(im).toEqual({ w: 28, done: true });
    expect(await page.locator('table').first().textContent()).toContain('int8 QAT, 8-bit loss');
    const shot = join(OUT, `${name}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    process.stderr.write(`demo page ${htmlPath}\nscreenshot ${shot}\n`);
  });
}

describe('the lowbit demo page in Chromium', () => {
  it('renders a page made from given figures', async (ctx) => {
    if (!context) return skipWithReason(ctx, CHROMIUM_ABSENT!);
    const path = await syntheticPage();
    expect(readFileSync(path, 'utf8')).toContain('a note &lt;with&gt; markup to escape');
    await checkPage(context, path, 'synthetic');
  });

  it('renders the page a tiny `lowbit demo` run writes', async (ctx) => {
    if (!context) return skipWithReason(ctx, CHROMIUM_ABSENT!);
    if (!corpusData('mnist')) return skipWithReason(ctx, 'MNIST is absent (.corpus/data/mnist); run `npm run corpus`');
    const out = join(OUT, 'run');
    const r = lowbit(['demo', '--out', out, '--limit', '300', '--epochs', '1', '--qat-epochs', '1', '--bench-runs', '5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    await checkPage(context, join(out, 'demo.html'), 'tiny-run');
  }, 300_000);
});
