import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAbsolute, join, resolve } from 'node:path';
import type { InputHint } from '../../src/eval/inputs.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CORPUS_DIR = process.env.LOWBIT_CORPUS_DIR ?? join(REPO, '.corpus');

export interface CorpusModel {
  id: string;
  /** Absolute path where the model should be. */
  path: string;
  dims: Record<string, number>;
  hints?: Record<string, InputHint>;
  expect: Record<string, unknown>;
}

interface ManifestItem {
  path: string;
  status: 'ok' | 'missing';
  reason?: string;
}

function manifest(): Record<string, ManifestItem> {
  const file = join(CORPUS_DIR, 'manifest.json');
  if (!existsSync(file)) return {};
  return (JSON.parse(readFileSync(file, 'utf8')) as { items: Record<string, ManifestItem> }).items;
}

export function corpusModels(): CorpusModel[] {
  const list = JSON.parse(readFileSync(join(REPO, 'test/corpus/models.json'), 'utf8')) as {
    models: (Omit<CorpusModel, 'path'> & { path?: string })[];
  };
  return list.models.map((m) => ({
    ...m,
    path: m.path ? (isAbsolute(m.path) ? m.path : resolve(REPO, m.path)) : join(CORPUS_DIR, 'models', `${m.id}.onnx`),
  }));
}

export function corpusModel(id: string): CorpusModel {
  const found = corpusModels().find((m) => m.id === id);
  if (!found) throw new Error(`no corpus model '${id}' in test/corpus/models.json`);
  return found;
}

/** Why a corpus file is absent (for the skip line), or undefined when it is there. */
export function absentReason(path: string, id: string): string | undefined {
  if (existsSync(path)) return undefined;
  const item = manifest()[id];
  const why = item?.status === 'missing' ? item.reason : 'not fetched; run `npm run corpus`';
  return `corpus model '${id}' is absent (${path}): ${why}`;
}

/** Path of a corpus data item (photos, mnist, onnx-testdata) or undefined when absent. */
export function corpusData(relative: string): string | undefined {
  const path = join(CORPUS_DIR, 'data', relative);
  return existsSync(path) ? path : undefined;
}

/** Skip a test with a line that says why, printed so that it shows in CI logs. */
export function skipWithReason(ctx: { skip: (note?: string) => void }, reason: string): void {
  process.stderr.write(`SKIP: ${reason}\n`);
  ctx.skip(reason);
}
