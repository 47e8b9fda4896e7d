import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

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
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'lowbit-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
