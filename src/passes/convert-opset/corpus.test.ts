// Real models converted to opsets 13 and 21 and run in onnxruntime next to the original. The models
// come from `npm run corpus` (.corpus/models); a missing one makes its test skip with that reason.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../diagnostics.js';
import { checkModel, errorsOf } from '../../ir/checker.js';
import { generateInputs, type GenerateOptions } from '../../eval/inputs.js';
import { decodeModel } from '../../serde/decode.js';
import { encodeModel } from '../../serde/encode.js';
import { convertOpset } from './convert-opset.js';
import { expectSameOutputs, run } from '../../../test/helpers/opset-equivalence.js';

const MODELS_DIR = join(process.cwd(), '.corpus', 'models');
const PADDLE = (h: number, w: number) => ({ dims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': h, 'p2o.DynamicDimension.2': w } });

/** Each model with the input sizes that make a meaningful run (symbolic dims default to 1). */
const CORPUS: [id: string, inputs: GenerateOptions][] = [
  ['ppocr-mobile-v2-cls', PADDLE(48, 192)],
  ['ppocrv4-rec', { dims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 160 } }],
  ['ppocrv4-det', PADDLE(96, 128)],
  ['silero-vad', { dims: { batch: 1, sequence: 512 }, hints: { sr: { value: 16000 } } }],
  ['blazeface-front-128', {}],
  ['blazeface-back-256', {}],
  ['mlsd-320-tiny', {}],
  ['mlsd-512-large', {}],
  ['oww-melspectrogram', { dims: { batch_size: 1, samples: 1760 } }],
  ['oww-embedding', { dims: { unk__314: 1 } }],
  ['oww-alexa', {}],
  ['oww-hey-jarvis', {}],
  ['oww-hey-rhasspy', {}],
  ['oww-timer', {}],
  ['mailwoman-en-us', { dims: { batch: 1, sequence: 12 } }],
  ['imgly-isnet-small', {}],
];

describe('convert-opset on corpus models', () => {
  for (const [id, inputs] of CORPUS) {
    const path = join(MODELS_DIR, `${id}.onnx`);
    const present = existsSync(path);
    it.skipIf(!present)(`${id}${present ? '' : ' — skipped: not fetched (npm run corpus)'} keeps its outputs at opsets 13 and 21`, async () => {
      const bytes = readFileSync(path);
      const source = decodeModel(bytes);
      const feeds = generateInputs(source, { seed: 7, ...inputs });
      const expected = await run(bytes, feeds);
      const targets = [13, 21].filter((t) => t >= (source.opset('') ?? 0));
      for (const target of targets) {
        const model = decodeModel(bytes);
        convertOpset(model, target);
        expect(errorsOf(checkModel(model)).map(formatDiagnostic)).toEqual([]);
        expectSameOutputs(await run(encodeModel(model), feeds), expected, 1e-5, `${id} → ${target}`);
      }
    });
  }
});
