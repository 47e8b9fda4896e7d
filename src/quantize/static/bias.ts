import { DataType } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { attr } from '../../ir/attribute.js';
import { Node } from '../../ir/node.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import { toFloat32 } from '../../ir/tensor/values.js';
import type { Value } from '../../ir/value.js';
import { roundHalfToEven } from '../../quant/rounding.js';

const INT32_MAX = 2147483647;

/**
 * Bias as int32 with scale s_x · s_w[c] and zero point 0: the form QLinearConv and QGemm add into
 * their int32 accumulators directly. Returns the DequantizeLinear output that replaces the float bias.
 */
export function quantizeBias(model: Model, graph: Graph, name: string, tensor: Tensor, inputScale: number, weightScales: Float32Array): Value {
  const values = toFloat32(tensor);
  const scales = new Float32Array(values.length);
  const q = new Int32Array(values.length);
  for (let c = 0; c < values.length; c++) {
    const s = Math.fround(inputScale * weightScales[weightScales.length === 1 ? 0 : c]!);
    scales[c] = s > 0 ? s : 1;
    const v = roundHalfToEven(values[c]! / scales[c]!);
    q[c] = Math.max(-INT32_MAX, Math.min(INT32_MAX, v));
  }
  const base = model.freshName(`${name}_quantized`);
  const perChannel = values.length > 1;
  const qv = graph.addInitializer(base, DenseTensor.fromTyped(DataType.INT32, [...tensor.dims], q));
  const scale = graph.addInitializer(`${base}_scale`, DenseTensor.fromTyped(DataType.FLOAT, perChannel ? [values.length] : [], scales));
  const zp = graph.addInitializer(`${base}_zero_point`, DenseTensor.fromTyped(DataType.INT32, perChannel ? [values.length] : [], new Int32Array(values.length)));
  const dq = new Node({
    opType: 'DequantizeLinear',
    name: model.freshName(`${name}_DequantizeLinear`),
    inputs: [qv, scale, zp],
    outputs: [model.freshName(`${name}_dequantized`)],
    ...(perChannel ? { attributes: { axis: attr.int(0) } } : {}),
  });
  dq.output().type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [...tensor.dims] };
  graph.prependNode(dq);
  return dq.output();
}
