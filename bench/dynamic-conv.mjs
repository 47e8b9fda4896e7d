// Which form should dynamic mode give convolutions? Four 64→64 3×3 convolutions with ReLU on a
// 1×64×128×128 input, in onnxruntime-node (CPU, 2 threads), side by side:
//   fp32 · weight-only int8 (DequantizeLinear → Conv, what weights-int8 emits) · ConvInteger with
//   DynamicQuantizeLinear (what the peer's dynamic quantizer emits).
//   node bench/dynamic-conv.mjs [runs]
import { GraphBuilder, DataType, float32Tensor, DenseTensor, attr, encodeModel, quantize } from '../dist/index.js';
import { quantizeWeight } from '../dist/quant/weights.js';
import { machine, table } from './lib.mjs';
import { session, tensor, timeInterleaved } from './ort.mjs';

const runs = Number(process.argv[2] ?? 15);
const C = 64, H = 128, LAYERS = 4;
const rand = (() => { let s = 42; return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1; })();
const weights = Array.from({ length: LAYERS }, () => Float32Array.from({ length: C * C * 9 }, () => rand() * 0.05));
const biases = Array.from({ length: LAYERS }, () => Float32Array.from({ length: C }, () => rand() * 0.1));

function floatModel() {
  const b = new GraphBuilder(13);
  let h = b.input('x', DataType.FLOAT, [1, C, H, H]);
  for (let i = 0; i < LAYERS; i++) {
    const w = b.initializer(`w${i}`, float32Tensor([C, C, 3, 3], weights[i]));
    const bias = b.initializer(`b${i}`, float32Tensor([C], biases[i]));
    h = b.op('Relu', [b.op('Conv', [h, w, bias], { attributes: { pads: attr.ints([1, 1, 1, 1]) } })]);
  }
  b.output(h, DataType.FLOAT, [1, C, H, H]);
  return b.model;
}

/** The peer's form: DynamicQuantizeLinear → ConvInteger → Cast → Mul(x_scale × w_scale) → Add(bias). */
function convIntegerModel() {
  const b = new GraphBuilder(13);
  let h = b.input('x', DataType.FLOAT, [1, C, H, H]);
  for (let i = 0; i < LAYERS; i++) {
    // onnxruntime's ConvInteger takes one weight zero point (per tensor), as the peer emits it.
    const q = quantizeWeight(weights[i], [C, C, 3, 3], { dtype: DataType.UINT8, symmetric: false });
    const wq = b.initializer(`wq${i}`, DenseTensor.fromTyped(DataType.UINT8, [C, C, 3, 3], q.values));
    const wz = b.initializer(`wz${i}`, DenseTensor.fromTyped(DataType.UINT8, [], q.zeroPoints));
    const ws = b.initializer(`ws${i}`, float32Tensor([], q.scales));
    const [xq, xs, xz] = b.node('DynamicQuantizeLinear', [h], { outputCount: 3 });
    const acc = b.op('ConvInteger', [xq, wq, xz, wz], { attributes: { pads: attr.ints([1, 1, 1, 1]) } });
    const f = b.op('Cast', [acc], { attributes: { to: attr.int(DataType.FLOAT) } });
    const scaled = b.op('Mul', [f, b.op('Mul', [xs, ws])]);
    h = b.op('Relu', [b.op('Add', [scaled, b.initializer(`b${i}`, float32Tensor([C, 1, 1], biases[i]))])]);
  }
  b.output(h, DataType.FLOAT, [1, C, H, H]);
  return b.model;
}

const fp32 = encodeModel(floatModel());
const weightOnly = floatModel();
await quantize(weightOnly, { mode: 'weights-int8' });
const sessions = [await session(fp32), await session(encodeModel(weightOnly)), await session(encodeModel(convIntegerModel()))];
const x = Float32Array.from({ length: C * H * H }, () => rand());
const [f, w, ci] = await timeInterleaved(sessions, { x: tensor('float32', [1, C, H, H], x) }, { runs });
const row = (name, t) => [name, t.median.toFixed(2), `${t.p10.toFixed(2)}–${t.p90.toFixed(2)}`, t.ratio.toFixed(2)];
console.log(`### Dynamic mode and convolutions: 4× Conv 64→64 3×3 on 1×64×128×128, median of ${runs}\n`);
console.log(`Machine: ${machine()}; onnxruntime-node, 2 threads. Command: \`node bench/dynamic-conv.mjs ${runs}\`\n`);
console.log(table(['form', 'ms', 'p10–p90', '× fp32 time'], [row('fp32 Conv', f), row('weight-only int8 (DequantizeLinear → Conv)', w), row('DynamicQuantizeLinear → ConvInteger (peer form)', ci)]));
