// Histogram calibration must not cost much more than minmax: percentile, entropy and mse take at
// most 2× the time of minmax on the same samples. Each method runs a whole calibrate() (session,
// runs, observers, range search) on the same model and samples; methods are interleaved round by
// round (A B C D A B C D …) so that load from other work on the machine hits them alike.
//   node bench/calib-time.mjs [rounds] [case ...]     cases: conv3x3 pointwise mlsd isnet (default: conv3x3 pointwise mlsd)
import { readModelFile, createNodeRunner, openSource } from '../dist/index-node.js';
import { parsePreprocess } from '../dist/data/preprocess.js';
import { calibrate } from '../dist/calib/calibrate.js';
import { convertToFloat32 } from '../dist/passes/to-fp32/convert-to-float32.js';
import { machine, median, table, requireModel, CORPUS } from './lib.mjs';
import { convStack, generatedSource, observedTensors } from './calib-lib.mjs';
import { join } from 'node:path';

const rounds = Number(process.argv[2] ?? 3);
const cases = process.argv.slice(3).length ? process.argv.slice(3) : ['conv3x3', 'pointwise', 'mlsd'];
const METHODS = ['minmax', 'percentile', 'entropy', 'mse'];
const QUANTIZED_OPS = ['Conv', 'Relu', 'Clip', 'Add', 'Mul', 'Concat', 'Resize', 'MaxPool', 'Sigmoid', 'ConvTranspose', 'MatMul', 'Gemm'];

function setup(name) {
  switch (name) {
    case 'conv3x3': {
      const model = convStack({ channels: 64, size: 128, layers: 4, kernel: 3 });
      return { label: '4 × (Conv 3×3 64→64 + Relu) on 1×64×128×128, 20 samples', model, source: generatedSource('x', [1, 64, 128, 128], 20) };
    }
    case 'pointwise': {
      const model = convStack({ channels: 64, size: 256, layers: 6, kernel: 1 });
      return { label: '6 × (Conv 1×1 64→64 + Relu) on 1×64×256×256 (little compute per activation: the worst case), 10 samples', model, source: generatedSource('x', [1, 64, 256, 256], 10) };
    }
    case 'mlsd': {
      const model = readModelFile(requireModel('mlsd-512-large')).model;
      return { label: 'mlsd-512-large (corpus), 1×512×512×4, 20 generated samples in [0, 255)', model, source: generatedSource('input_image_with_alpha:0', [1, 512, 512, 4], 20, { lo: 0, hi: 255 }) };
    }
    case 'isnet': {
      // The float baseline: imgly's fp16 `medium` converted to fp32, as the quantizer will see it.
      const model = readModelFile(requireModel('imgly-isnet-medium')).model;
      convertToFloat32(model);
      const source = openSource(join(CORPUS, 'data', 'photos'), model, { preprocess: parsePreprocess('mean=0.5/0.5/0.5,std=1/1/1'), limit: 4 });
      return { label: 'imgly-isnet-medium converted to fp32 (corpus), 1×3×1024×1024, 4 photos', model, source };
    }
    default:
      throw new Error(`unknown case '${name}'`);
  }
}

const createRunner = (bytes) => createNodeRunner(bytes, { threads: 2 });
console.log(`### Calibration time by method, median of ${rounds} interleaved rounds\n`);
console.log(`Machine: ${machine()}; onnxruntime-node, 2 threads. Command: \`node bench/calib-time.mjs ${rounds} ${cases.join(' ')}\`\n`);
for (const name of cases) {
  const { label, model, source } = setup(name);
  const names = observedTensors(model, QUANTIZED_OPS);
  const times = Object.fromEntries(METHODS.map((m) => [m, []]));
  let groups = 0;
  let samples = 0;
  for (let r = 0; r < rounds; r++) {
    for (const method of METHODS) {
      const result = await calibrate(model, names, source, createRunner, { method });
      times[method].push(result.timingsMs);
      groups = result.groups;
      samples = result.samples;
    }
  }
  const med = (m, key) => median(times[m].map((t) => t[key]));
  const base = med('minmax', 'total');
  const rows = METHODS.map((m) => [m, (med(m, 'total') / 1000).toFixed(2), (med(m, 'run') / 1000).toFixed(2), (med(m, 'observe') / 1000).toFixed(2), (med(m, 'ranges') / 1000).toFixed(2), (med(m, 'total') / base).toFixed(2)]);
  console.log(`#### ${label}: ${names.length} tensors, ${samples} samples, ${groups} group${groups > 1 ? 's' : ''}\n`);
  console.log(table(['method', 'total s', 'onnxruntime runs s', 'observers s', 'range search s', '× minmax time'], rows));
  console.log('');
}
