import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../ir/dtype.js';
import type { Model } from '../../ir/model.js';
import { isTensorType, staticShape } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { decodeModel } from '../../serde/decode.js';
import { inferTypes } from './infer-types.js';
import { compareWithOrt, feedsFor } from '../../../test/helpers/ort-agreement.js';

// Real models: inference runs on each with every intermediate type the file declares removed, so
// that what is measured is inference and not the exporter's value_info. Then, on a fixed input
// size, a sample of values with static inferred shapes is checked against onnxruntime.

const ROOT = resolve(import.meta.dirname, '../../..');
const CORPUS = join(ROOT, '.corpus/models');
const TINYLM = join(ROOT, '../shared/models/tinylm/model.onnx');

/** Sizes for the symbolic input dims of each model: ones the model accepts (PaddleOCR wants multiples of 32). */
const INPUT_SIZES: Record<string, Record<string, number>> = {
  'mailwoman-en-us': { batch: 1, sequence: 16 },
  'oww-melspectrogram': { batch_size: 1, samples: 1760 },
  'ppocr-mobile-v2-cls': { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 48, 'p2o.DynamicDimension.2': 192 },
  'ppocrv4-det': { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 64, 'p2o.DynamicDimension.2': 96 },
  'ppocrv4-rec': { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 160 },
  'silero-vad': { batch: 1, sequence: 512 },
  tinylm: { batch: 1, seq: 16 },
};

/** Inputs whose contents the model checks (silero-vad accepts 8 kHz or 16 kHz only). */
const FEEDS: Record<string, Record<string, { dtype: DataType; dims: number[]; data: BigInt64Array }>> = {
  'silero-vad': { sr: { dtype: DataType.INT64, dims: [], data: BigInt64Array.from([16000n]) } },
};

/** How many values may stay untyped per model; inference types every value of the corpus today. */
const MAX_UNKNOWN: Record<string, number> = {};

const SAMPLE = 60;

function corpusModels(): [string, string][] {
  const found: [string, string][] = [];
  if (existsSync(CORPUS)) {
    for (const f of readdirSync(CORPUS).sort()) if (f.endsWith('.onnx')) found.push([f.replace(/\.onnx$/, ''), join(CORPUS, f)]);
  }
  if (existsSync(TINYLM)) found.push(['tinylm', TINYLM]);
  return found;
}

function load(file: string): Model {
  const model = decodeModel(readFileSync(file), { file });
  for (const graph of model.allGraphs()) {
    for (const node of graph.nodes) for (const out of node.outputs) if (out && !graph.outputs.includes(out)) out.type = undefined;
  }
  return model;
}

/** Node outputs of the main graph with static inferred shapes, evenly spread, at most SAMPLE. */
function sampleStatic(model: Model): Value[] {
  const candidates: Value[] = [];
  for (const node of model.graph.nodes) for (const out of node.outputs) if (out && staticShape(out.type) && !model.graph.outputs.includes(out)) candidates.push(out);
  const step = Math.max(1, Math.ceil(candidates.length / SAMPLE));
  return candidates.filter((_, i) => i % step === 0);
}

const models = corpusModels();

describe('type inference on real models', () => {
  if (models.length === 0) {
    it.skip(`corpus absent: no models in ${CORPUS} (run npm run corpus) and no ${TINYLM}`, () => {});
    return;
  }
  for (const [name, file] of models) {
    it(`${name}: types every value, and agrees with onnxruntime on a fixed input`, async () => {
      const asIs = load(file);
      const { unknown } = inferTypes(asIs);
      let total = 0;
      let withShape = 0;
      for (const graph of asIs.allGraphs()) {
        for (const node of graph.nodes) for (const out of node.outputs) if (out) {
          total++;
          if (isTensorType(out.type) && out.type.shape) withShape++;
        }
      }

      const fixed = load(file);
      const sizes = new Map(Object.entries(INPUT_SIZES[name] ?? {}));
      for (const input of fixed.graph.inputs) {
        if (isTensorType(input.type) && input.type.shape) input.type = { ...input.type, shape: input.type.shape.map((d) => (typeof d === 'number' ? d : sizes.get(d ?? '') ?? 1)) };
      }
      inferTypes(fixed);
      let fixedStatic = 0;
      let fixedTotal = 0;
      for (const node of fixed.graph.nodes) for (const out of node.outputs) if (out) {
        fixedTotal++;
        if (staticShape(out.type)) fixedStatic++;
      }
      const sample = sampleStatic(fixed);
      const problems = await compareWithOrt(fixed, sample, feedsFor(fixed, new Map(), FEEDS[name]), new Map());
      console.log(
        `${name}: ${total} values, ${unknown.length} untyped, ${withShape} with a shape as exported; ` +
          `fixed input: ${fixedStatic}/${fixedTotal} main-graph values static, ${sample.length} checked with onnxruntime`,
      );
      expect(problems).toEqual([]);
      expect(unknown.length).toBeLessThanOrEqual(MAX_UNKNOWN[name] ?? 0);
    });
  }
});
