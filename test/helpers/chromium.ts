import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from './temp-dir.js';

/** Debian's chromium, which .ci/run installs; playwright-core never downloads a browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests skip, or undefined when Chromium is there. */
export const CHROMIUM_ABSENT = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (.ci/run installs Debian's chromium)`;

/**
 * Headless Chromium with a fresh profile, or undefined when it is not installed. The flags keep it
 * off the network (the test machines have none) and away from any profile.
 */
export async function launchChromium(): Promise<BrowserContext | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  return chromium.launchPersistentContext(tempDir('chromium'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Open a page as a reader would, wait until its charts are drawn, run `check` on it, and fail on
 * any console error, page error or failed request the page had meanwhile.
 */
export async function checkPageInChromium<T>(browser: BrowserContext, htmlPath: string, check: (page: Page) => Promise<T>): Promise<T> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  try {
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForSelector('body[data-charts-ready="true"]', { timeout: 10_000 });
    const result = await check(page);
    expect(problems).toEqual([]);
    return result;
  } finally {
    await page.close();
  }
}

/** Each canvas of the page: its id, whether Chart.js owns it, and how many pixels have ink. */
export function canvasInk(page: Page): Promise<{ id: string; chart: boolean; inked: number }[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('canvas')).map((canvas) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) inked++;
      const chartJs = (window as unknown as { Chart?: { getChart(c: HTMLCanvasElement): unknown } }).Chart;
      return { id: canvas.id, chart: Boolean(chartJs?.getChart(canvas)), inked };
    }),
  );
}
