import type { Model } from '../ir/model.js';
import type { Diagnostic } from '../diagnostics.js';
import { quantize, type QuantizeResult } from '../quantize/quantize.js';
import { gatherBatch, sampleSize, type Dataset } from './data.js';
import { exportOnnx, exportedName, type ExportOptions } from './export.js';
import { BatchNorm2d } from './layers/batchnorm2d.js';
import { Net } from './net.js';
import { INPUT_NAME, nameLayers, type LayerSpec, type ModelSpec } from './spec.js';

export interface QatOptions {
  /** Constant of the moving average of activation ranges (default 0.01). */
  ema?: number;
  /**
   * 7-bit weights ([−64, 64]): what onnxruntime needs on x86 processors without VNNI, whose
   * u8 × s8 int8 kernels saturate with full-range weights (see node/u8s8-probe.ts).
   */
  reduceRange?: boolean;
}

/**
 * The QAT twin of a (batch-norm-free) spec: fake quantizers exactly where static int8 puts its
 * Q/DQ pairs for this class of network, and weighted layers marked to fake-quantize their weights.
 * Static int8 quantizes the input of each Conv/Gemm and its output, or, when a Relu is the output's
 * only reader, the Relu's output (the zero point then does the clipping); MaxPool and Flatten pass
 * a quantized tensor through on the same scale. A Relu that does not follow a weighted layer runs in
 * float, so the next weighted layer's input is quantized afresh.
 */
export function qatSpec(spec: ModelSpec, options: QatOptions = {}): ModelSpec {
  const layers = nameLayers(spec);
  if (layers.some((l) => l.type === 'batchnorm2d')) throw new RangeError('fold batch normalization into the convolutions before QAT (foldBatchNorm)');
  if (layers.some((l) => l.type === 'fakequant')) throw new RangeError('the spec already has fake quantizers');
  const fq = (tensor: string): LayerSpec => ({ type: 'fakequant', tensor, name: `fq_${tensor}`, ...(options.ema !== undefined ? { ema: options.ema } : {}) });
  const out: LayerSpec[] = [];
  let current = INPUT_NAME;
  let quantized = false;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    if (layer.type === 'conv2d' || layer.type === 'linear') {
      if (!quantized) out.push(fq(current));
      out.push({ ...layer, quantize: options.reduceRange ? { reduceRange: true } : {} });
      if (layers[i + 1]?.type === 'relu') out.push(layers[++i]!);
      current = exportedName(layers, i);
      out.push(fq(current));
      quantized = true;
      continue;
    }
    out.push(layer);
    current = exportedName(layers, i);
    if (layer.type !== 'maxpool2d' && layer.type !== 'flatten') quantized = false;
  }
  return { input: [...spec.input], layers: out };
}

/**
 * A network without batch normalization computing the same function in inference mode: each
 * BatchNorm2d after a convolution is folded into the convolution's weights and bias
 * (w·γ/σ, (b − μ)·γ/σ + β with the running statistics), as static int8 folds it before quantizing.
 */
export function foldBatchNorm(net: Net): Net {
  const layers = net.spec.layers;
  if (!layers.some((l) => l.type === 'batchnorm2d')) return copyNet(net, net.spec);
  const kept = layers.filter((l) => l.type !== 'batchnorm2d');
  const folded = new Net({ input: net.spec.input, layers: kept });
  for (const e of folded.paramEntries) folded.param(e.layer, e.name).set(net.param(e.layer, e.name));
  layers.forEach((l, i) => {
    if (l.type !== 'batchnorm2d') return;
    const prev = layers[i - 1];
    if (prev?.type !== 'conv2d') throw new RangeError(`${l.name}: only a batch norm right after a convolution can be folded`);
    const bn = net.layer<BatchNorm2d>(l.name!);
    const gamma = net.param(l.name!, 'scale');
    const beta = net.param(l.name!, 'bias');
    const w = folded.param(prev.name!, 'weight');
    const b = folded.param(prev.name!, 'bias');
    const per = w.length / b.length;
    for (let c = 0; c < b.length; c++) {
      const k = gamma[c]! / Math.sqrt(bn.runningVar[c]! + bn.eps);
      for (let j = c * per; j < (c + 1) * per; j++) w[j] = w[j]! * k;
      b[c] = (b[c]! - bn.runningMean[c]!) * k + beta[c]!;
    }
  });
  return folded;
}

/** The QAT network for a trained float one: batch norm folded, fake quantizers inserted, parameters copied. */
export function prepareQat(net: Net, options: QatOptions = {}): Net {
  const plain = foldBatchNorm(net);
  const qat = new Net(qatSpec(plain.spec, options));
  for (const e of qat.paramEntries) qat.param(e.layer, e.name).set(plain.param(e.layer, e.name));
  return qat;
}

/**
 * Set the fake quantizers' ranges from the float network's activations on `indices` (plain min/max,
 * as static int8 calibrates), then turn fake quantization on.
 */
export function calibrateQat(net: Net, data: Dataset, indices: Int32Array, batch = 64): void {
  const quantizers = net.fakeQuants();
  for (const q of quantizers) q.setEnabled(false);
  const x = new Float32Array(batch * sampleSize(data));
  const labels = new Int32Array(batch);
  for (let start = 0; start < indices.length; start += batch) {
    const part = indices.subarray(start, Math.min(indices.length, start + batch));
    gatherBatch(data, part, x, labels);
    net.forward(x, part.length, true);
    net.mergeStats([net.stats]);
  }
  for (const q of quantizers) q.setEnabled(true);
}

/** The tracked range of every quantized tensor, by its name in the exported graph. */
export function qatRanges(net: Net): Map<string, { min: number; max: number }> {
  const ranges = new Map<string, { min: number; max: number }>();
  for (const q of net.fakeQuants()) {
    const r = q.range();
    if (r) ranges.set(q.tensor, r);
  }
  return ranges;
}

/**
 * The QAT network as a static-int8 ONNX model: exported as float, then quantized by lowbit's own
 * `quantize` with the tracked ranges standing in for calibration. Weights and biases are quantized
 * by the same functions the fake quantizers used, so the file computes what training saw.
 */
export async function exportQat(net: Net, options: ExportOptions = {}): Promise<{ model: Model; result: QuantizeResult }> {
  const model = exportOnnx(net, options);
  const ranges = qatRanges(net);
  const reduceRange = net.spec.layers.some((l) => (l.type === 'conv2d' || l.type === 'linear') && l.quantize?.reduceRange);
  const result = await quantize(model, {
    mode: 'int8',
    reduceRange,
    calibrate: async (_model, tensors) => {
      const found = new Map<string, { min: number; max: number }>();
      const warnings: Diagnostic[] = [];
      for (const t of tensors) {
        const r = ranges.get(t);
        if (r) found.set(t, r);
        else warnings.push({ code: 'qat-no-range', severity: 'warning', value: t, reason: `QAT tracked no range for '${t}'` });
      }
      return { ranges: found, warnings };
    },
  });
  model.setMetadata('lowbit.train.qat', 'true');
  return { model, result };
}

function copyNet(net: Net, spec: ModelSpec): Net {
  const copy = new Net(spec);
  copy.params.set(net.params);
  copy.state.set(net.state);
  return copy;
}
