// int4 latency in onnxruntime-node on a generated decoder MatMul stack of hidden size 2048 (the
// regime where reading the weights dominates one token's time): per layer
//   h += MatMul(MatMul(h, Wq 2048×2048), Wo 2048×2048);  h += MatMul(Relu(MatMul(h, Wup 2048×8192)), Wdown 8192×2048)
// fp32 against lowbit int4 (MatMulNBits, rtn, symmetric, block 32) with accuracy_level 0 (float
// activations) and 4 (int8 activations), CPU, 2 threads, medians of interleaved runs; one token at
// a time (decode) and a 128-token prefill.
//   node bench/int4-latency.mjs [runs] [layers]
import { GraphBuilder, DataType, float32Tensor, encodeModel, decodeModel, quantize } from '../dist/index-node.js';
import { machine, table } from './lib.mjs';
import { session, tensor, timeInterleaved } from './ort.mjs';

const runs = Number(process.argv[2] ?? 7);
const layers = Number(process.argv[3] ?? 3);
const H = 2048;
const F = 8192;

console.log('### int4 latency: decoder MatMul stack, hidden 2048\n');
console.log(`Machine: ${machine()}; onnxruntime-node 1.30, CPU, 2 threads, graph optimizations on; median of interleaved runs (p10–p90): ${runs * 3} for one token, ${runs} for the prefill. Command: \`node bench/int4-latency.mjs ${runs} ${layers}\`\n`);

let seed = 7;
const weight = (k, n) => {
  const values = new Float32Array(k * n);
  const scale = 1 / Math.sqrt(k);
  for (let i = 0; i < values.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    values[i] = (seed / 2 ** 32 - 0.5) * 2 * scale;
  }
  return float32Tensor([k, n], values);
};
const b = new GraphBuilder(17);
let h = b.input('x', DataType.FLOAT, [1, 'tokens', H]);
let params = 0;
for (let l = 0; l < layers; l++) {
  const mm = (x, k, n, name) => {
    params += k * n;
    return b.op('MatMul', [x, b.initializer(`l${l}_${name}`, weight(k, n))], { name: `l${l}_${name}` });
  };
  h = b.op('Add', [h, mm(mm(h, H, H, 'q'), H, H, 'o')]);
  h = b.op('Add', [h, mm(b.op('Relu', [mm(h, H, F, 'up')]), F, H, 'down')]);
}
b.output(h, DataType.FLOAT, [1, 'tokens', H]);
const fp32 = encodeModel(b.model);

const int4 = async (accuracyLevel) => {
  const model = decodeModel(fp32);
  await quantize(model, { mode: 'int4', blockSize: 32, accuracyLevel });
  return encodeModel(model);
};
const models = [
  ['fp32', fp32],
  ['int4 MatMulNBits, block 32, accuracy_level 0', await int4(0)],
  ['int4 MatMulNBits, block 32, accuracy_level 4', await int4(4)],
];
console.log(`${layers} layers, ${(params / 1e6).toFixed(1)} M MatMul weights; fp32 model ${(fp32.byteLength / 1e6).toFixed(1)} MB, int4 ${(models[1][1].byteLength / 1e6).toFixed(1)} MB.\n`);

const sessions = [];
for (const [, bytes] of models) sessions.push(await session(bytes));
for (const tokens of [1, 128]) {
  const x = new Float32Array(tokens * H);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37);
  const times = await timeInterleaved(sessions, { x: tensor('float32', [1, tokens, H], x) }, { runs: tokens === 1 ? runs * 3 : runs, warmup: 2 });
  console.log(`#### ${tokens === 1 ? 'Decode: 1 token' : `Prefill: ${tokens} tokens`}\n`);
  console.log(table(['model', 'ms (median)', 'p10–p90', 'time vs fp32'], models.map(([name], i) => [name, times[i].median.toFixed(2), `${times[i].p10.toFixed(2)}–${times[i].p90.toFixed(2)}`, times[i].ratio.toFixed(3)])));
  console.log('');
}
