import { attr } from '../../ir/attribute.js';
import { GraphBuilder } from '../../ir/builder.js';
import { DataType } from '../../ir/dtype.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { float32Tensor } from '../../ir/tensor/values.js';
import { createNodeRunner } from '../../runner/ort-node.js';
import { encodeModel } from '../../serde/encode.js';

/** Elements of the probe's dot product: 255 · 127 each, so that any two of them pass int16. */
const K = 64;
const OUTPUT_SCALE = 10_000;

/**
 * Whether onnxruntime's int8 kernels on this machine lose precision on full-range int8 weights.
 * x86 processors without VNNI multiply u8 × s8 with an instruction (vpmaddubsw) that adds products
 * in pairs and saturates the pair to int16: 255·127 + 255·127 = 64770 becomes 32767. Static int8
 * models with 8-bit weights then run wrong there; 7-bit weights (reduce range) cannot overflow.
 * The probe runs one quantized Gemm whose exact answer is known (64 · 255 · 127 = 2,072,640, stored
 * as 207 at scale 10,000) and compares: measured on the runtime and CPU at hand, not guessed from
 * CPU flags.
 */
export async function int8KernelsSaturate(): Promise<boolean> {
  const b = new GraphBuilder(13);
  const x = b.input('x', DataType.FLOAT, [1, K]);
  const scalar = (name: string, v: number) => b.initializer(name, float32Tensor([], [v]));
  const u8zero = b.initializer('zero_u8', DenseTensor.fromTyped(DataType.UINT8, [], new Uint8Array([0])));
  const s8zero = b.initializer('zero_s8', DenseTensor.fromTyped(DataType.INT8, [], new Int8Array([0])));
  const a = b.op('DequantizeLinear', [b.op('QuantizeLinear', [x, scalar('one', 1), u8zero]), scalar('one_a', 1), u8zero]);
  const w = b.op('DequantizeLinear', [b.initializer('w', DenseTensor.fromTyped(DataType.INT8, [1, K], new Int8Array(K).fill(127))), scalar('one_w', 1), s8zero]);
  const y = b.op('Gemm', [a, w], { attributes: { transB: attr.int(1) } });
  const out = b.op('DequantizeLinear', [b.op('QuantizeLinear', [y, scalar('s_out', OUTPUT_SCALE), u8zero]), scalar('s_out2', OUTPUT_SCALE), u8zero]);
  b.output(out, DataType.FLOAT, [1, 1]);
  const runner = await createNodeRunner(encodeModel(b.model), { optimization: 'all', threads: 1 });
  try {
    const result = await runner.run({ x: { dtype: DataType.FLOAT, dims: [1, K], data: new Float32Array(K).fill(255) } });
    const value = (Object.values(result)[0]!.data as Float32Array)[0]!;
    return value !== Math.round((K * 255 * 127) / OUTPUT_SCALE) * OUTPUT_SCALE;
  } finally {
    await runner.dispose();
  }
}
