// Compiles the hand-written WebAssembly text in src/quant/wasm/*.wat (with wabt) into TypeScript
// modules that hold the bytes as base64, so that the library loads them synchronously in Node and
// in browsers alike, with no extra file to fetch.
//   node tools/build-wasm.mjs          write src/quant/wasm/<name>-wasm.ts
//   node tools/build-wasm.mjs --check  exit 1 when a committed module differs from its .wat
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

const folder = fileURLToPath(new URL('../src/quant/wasm/', import.meta.url));

/** The generated module's text for a .wat file: its bytes as base64. */
export async function generatedModule(watFile) {
  const wabt = await initWabt();
  const parsed = wabt.parseWat(watFile, readFileSync(join(folder, watFile), 'utf8'), { simd: true });
  parsed.validate();
  const { buffer } = parsed.toBinary({});
  parsed.destroy();
  const base64 = Buffer.from(buffer).toString('base64');
  return [
    `// Generated from ${watFile} by tools/build-wasm.mjs (npm run build:wasm); do not edit.`,
    `export const WASM_BASE64 =`,
    `  '${base64}';`,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const wat of readdirSync(folder).filter((f) => f.endsWith('.wat'))) {
    const target = join(folder, wat.replace(/\.wat$/, '-wasm.ts'));
    const text = await generatedModule(wat);
    if (check) {
      let current = '';
      try {
        current = readFileSync(target, 'utf8');
      } catch {}
      if (current !== text) {
        console.error(`${target} is not ${wat} compiled: run npm run build:wasm`);
        stale++;
      }
    } else {
      writeFileSync(target, text);
      console.log(`wrote ${target}`);
    }
  }
  process.exit(stale ? 1 : 0);
}
