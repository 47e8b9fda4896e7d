import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModelFile } from '../src/node/model-files.js';
import { decodeModel } from '../src/serde/decode.js';
import { encodeModel, encodeModelProto } from '../src/serde/encode.js';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { topoSortPass } from '../src/passes/topo-sort.js';
import { generateInputs } from '../src/eval/inputs.js';
import { checkModel } from '../src/ir/checker.js';
import { summarizeModel } from '../src/inspect/summary.js';
import { absentReason, corpusModels, skipWithReason } from './helpers/corpus.js';
import { runOnce, sameBits } from './helpers/ort.js';
import { tempDir } from './helpers/temp-dir.js';

const out = tempDir('corpus');

describe('corpus round trip', () => {
  for (const entry of corpusModels()) {
    it(`${entry.id}: written model gives bit-identical outputs; a second round trip gives identical bytes`, async (ctx) => {
      const absent = absentReason(entry.path, entry.id);
      if (absent) return skipWithReason(ctx, absent);
      const { model } = readModelFile(entry.path);
      const first = encodeModel(model);
      const second = encodeModel(decodeModel(first));
      expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
      // The hand-written chunked writer must equal protobuf-es's own encoding.
      expect(Buffer.from(toBinary(ModelProtoSchema, encodeModelProto(model))).equals(Buffer.from(first))).toBe(true);

      const written = join(out, `${entry.id}.onnx`);
      writeFileSync(written, first);
      const feeds = generateInputs(model, { dims: entry.dims, ...(entry.hints ? { hints: entry.hints } : {}), seed: 7 });
      const original = await runOnce(readFileSync(entry.path), feeds);
      const ours = await runOnce(written, feeds);
      expect(Object.keys(ours).sort()).toEqual(Object.keys(original).sort());
      for (const name of Object.keys(original)) expect(sameBits(original[name]!, ours[name]!), `output ${name}`).toBe(true);

      const summary = summarizeModel(model);
      if (entry.expect.subgraphs !== undefined) expect(summary.subgraphs).toBe(entry.expect.subgraphs);
      if (entry.expect.alreadyQuantized) expect(Object.keys(summary.quantizedOps).sort()).toEqual([...(entry.expect.alreadyQuantized as string[])].sort());
      const ordered = !checkModel(model).some((d) => d.code === 'not-topological');
      expect(ordered).toBe(entry.expect.topologicalOrder ?? true);
      if (!ordered) {
        topoSortPass.run(model);
        expect(checkModel(model).filter((d) => d.severity === 'error')).toEqual([]);
      }
      if (entry.expect.constantNodeWeights) {
        expect(model.graph.initializers.size).toBe(0);
        expect(Object.values(summary.quantizable.weightOps).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      }
    });
  }
});
