import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { WASM_BASE64 } from '../src/quant/wasm/weights-wasm.js';
import { quantizeWeight } from '../src/quant/weights.js';
import { CHROMIUM_ABSENT, launchChromium } from './helpers/chromium.js';
import { randomFloats } from './helpers/ort.js';

// The weight quantizer's WebAssembly module, as the browser build loads it: compiled synchronously
// on a page's main thread (browsers allow that for small modules only), then run on one weight.
describe.skipIf(CHROMIUM_ABSENT)(`weight quantizer kernels in Chromium${CHROMIUM_ABSENT ? ` (skipped: ${CHROMIUM_ABSENT})` : ''}`, () => {
  let browser: BrowserContext | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('compile on the main thread and give the bytes Node gives (per output channel, 37 × 50)', async () => {
    const rows = 37;
    const len = 50; // 3 vectors of 16 and a tail of 2 per row
    const w = randomFloats(rows * len, 9, 0.3);
    const node = quantizeWeight(w, [rows, len], { axis: 0 });
    const page = await browser!.newPage();
    try {
      const bytes = await page.evaluate(
        ({ base64, values, scales, rows, len }) => {
          const code = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
          if (!WebAssembly.validate(code)) throw new Error('WebAssembly SIMD is not supported');
          const k = new WebAssembly.Instance(new WebAssembly.Module(code), {}).exports as unknown as {
            memory: WebAssembly.Memory;
            quantizeRows(src: number, rows: number, len: number, scales: number, zps: number, qmin: number, qmax: number, dst: number): void;
          };
          const src = 1024;
          const dst = src + values.length * 4;
          new Float32Array(k.memory.buffer, 0, rows).set(scales);
          new Float32Array(k.memory.buffer, 512, rows).fill(0);
          new Float32Array(k.memory.buffer, src, values.length).set(values);
          k.quantizeRows(src, rows, len, 0, 512, -127, 127, dst);
          return Array.from(new Int8Array(k.memory.buffer, dst, values.length));
        },
        { base64: WASM_BASE64, values: Array.from(w), scales: Array.from(node.scales), rows, len },
      );
      expect(bytes).toEqual(Array.from(node.values));
    } finally {
      await page.close();
    }
  }, 60_000);
});
