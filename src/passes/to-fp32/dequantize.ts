import { DataType, dtypeName } from '../../ir/dtype.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import { toFloat32, typedData } from '../../ir/tensor/values.js';
import { axisLayout } from '../../quant/linear.js';

/** How a DequantizeLinear (or an integer op's weight) maps scales and zero points onto elements. */
export interface DequantizeParams {
  scale: Tensor;
  zeroPoint?: Tensor | undefined;
  /** The axis of per-axis or blocked quantization (ignored for a single scale). */
  axis: number;
  /** Blocked quantization (opset 21): one scale per `blockSize` elements along `axis`; 0 = per axis. */
  blockSize?: number;
}

/**
 * ONNX DequantizeLinear on a constant: y = (x - zero_point) * scale, computed in float32 as the
 * spec's reference does. Per-tensor, per-axis and blocked scales; 8/16/32-bit and packed 4-bit
 * integers.
 */
export function dequantizeTensor(x: Tensor, params: DequantizeParams): Float32Array {
  const q = integerValues(x);
  const scales = toFloat32(params.scale);
  const zeros = params.zeroPoint ? integerValues(params.zeroPoint) : new Int32Array(scales.length);
  const out = new Float32Array(q.length);
  if (scales.length === 1) {
    const s = scales[0]!;
    const z = zeros[0]!;
    for (let i = 0; i < q.length; i++) out[i] = Math.fround((q[i]! - z) * s);
    return out;
  }
  const rank = x.dims.length;
  const axis = params.axis < 0 ? params.axis + rank : params.axis;
  const { outer, channels, inner } = axisLayout(x.dims, axis);
  const block = params.blockSize ?? 0;
  const blocks = block > 0 ? Math.ceil(channels / block) : channels;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        // Per axis: one scale per channel. Blocked: scales shaped like x with `blocks` along the axis.
        const k = block > 0 ? (o * blocks + Math.floor(c / block)) * inner + i : c;
        out[base + i] = Math.fround((q[base + i]! - zeros[k]!) * scales[k]!);
      }
    }
  }
  return out;
}

/** Integer tensor elements as numbers; 4-bit types unpacked (low nibble first). */
export function integerValues(t: Tensor): ArrayLike<number> {
  switch (t.dtype) {
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.INT16:
    case DataType.UINT16:
    case DataType.INT32:
      return typedData(t) as ArrayLike<number>;
    case DataType.INT4:
    case DataType.UINT4:
      return unpack4(t.bytes(), t.size, t.dtype === DataType.INT4);
    default:
      throw new TypeError(`cannot dequantize a ${dtypeName(t.dtype)} tensor`);
  }
}

function unpack4(bytes: Uint8Array, count: number, signed: boolean): Int8Array {
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const nibble = (bytes[i >> 1]! >> ((i & 1) * 4)) & 0xf;
    out[i] = signed && nibble >= 8 ? nibble - 16 : nibble;
  }
  return out;
}
