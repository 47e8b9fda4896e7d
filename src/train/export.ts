import { attr } from '../ir/attribute.js';
import { GraphBuilder } from '../ir/builder.js';
import { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { float32Tensor } from '../ir/tensor/values.js';
import type { Value } from '../ir/value.js';
import { VERSION } from '../version.js';
import { BatchNorm2d } from './layers/batchnorm2d.js';
import type { Net } from './net.js';
import { INPUT_NAME, OUTPUT_NAME, type LayerSpec } from './spec.js';

export interface ExportOptions {
  /** The batch dimension: a number, or a name for a symbolic one (default 'batch'). */
  batch?: number | string;
  /** Default-domain opset (default 13: per-channel DequantizeLinear, what static int8 needs anyway). */
  opset?: number;
}

/** Name of the value a layer outputs in the exported graph: its own name, or OUTPUT_NAME for the last layer. */
export function exportedName(layers: readonly LayerSpec[], index: number): string {
  for (let i = layers.length - 1; i > index; i--) if (layers[i]!.type !== 'fakequant') return layers[index]!.name!;
  return OUTPUT_NAME;
}

/**
 * The network as an ONNX model, built with lowbit's GraphBuilder (and written by its own encoder):
 * Conv, BatchNormalization, Relu, MaxPool, Flatten and Gemm (transB = 1) with float32 initializers
 * copied from the parameters; input 'image' [batch, …], output 'logits' [batch, classes]. Fake
 * quantizers are left out: a QAT network is exported as float and quantized with its tracked
 * ranges (qat.ts), which gives exactly the QDQ form of static int8.
 */
export function exportOnnx(net: Net, options: ExportOptions = {}): Model {
  const b = new GraphBuilder(options.opset ?? 13);
  const batch = options.batch ?? 'batch';
  b.model.producerName = 'lowbit';
  b.model.producerVersion = VERSION;
  b.model.docString = 'trained with lowbit (src/train)';
  b.model.setMetadata('lowbit.train.spec', JSON.stringify(net.spec));
  let h: Value = b.input(INPUT_NAME, DataType.FLOAT, [batch, ...net.spec.input]);
  const specs = net.spec.layers;
  net.layers.forEach((layer, i) => {
    const spec = layer.spec;
    const name = exportedName(specs, i);
    const init = (param: string, values: Float32Array, dims: readonly number[]) => b.initializer(`${layer.name}.${param}`, float32Tensor(dims, Float32Array.from(values)));
    const weights = () => layer.params.map((p) => init(p.name, net.param(layer.name, p.name), p.dims));
    const node = (op: string) => ({ name: `${layer.name}/${op}`, outputs: [name] });
    switch (spec.type) {
      case 'conv2d': {
        const s = spec.stride ?? 1;
        const p = spec.pad ?? 0;
        h = b.op('Conv', [h, ...weights()], { ...node('Conv'), attributes: { kernel_shape: attr.ints([spec.kernel, spec.kernel]), strides: attr.ints([s, s]), pads: attr.ints([p, p, p, p]) } });
        break;
      }
      case 'batchnorm2d': {
        const bn = layer as BatchNorm2d;
        const c = [bn.inShape[0]!];
        h = b.op('BatchNormalization', [h, ...weights(), init('running_mean', bn.runningMean, c), init('running_var', bn.runningVar, c)], { ...node('BatchNormalization'), attributes: { epsilon: attr.float(bn.eps) } });
        break;
      }
      case 'relu':
        h = b.op('Relu', [h], node('Relu'));
        break;
      case 'maxpool2d': {
        const s = spec.stride ?? spec.kernel;
        h = b.op('MaxPool', [h], { ...node('MaxPool'), attributes: { kernel_shape: attr.ints([spec.kernel, spec.kernel]), strides: attr.ints([s, s]) } });
        break;
      }
      case 'flatten':
        h = b.op('Flatten', [h], { ...node('Flatten'), attributes: { axis: attr.int(1) } });
        break;
      case 'linear':
        h = b.op('Gemm', [h, ...weights()], { ...node('Gemm'), attributes: { transB: attr.int(1) } });
        break;
      case 'fakequant':
        break;
    }
    // Fake quantizers name the tensors they stand for: the names must come out as planned.
    if (spec.type !== 'fakequant' && h.name !== name) throw new Error(`export: ${layer.name}'s output was named '${h.name}', not '${name}'`);
  });
  b.output(h, DataType.FLOAT, [batch, ...net.layers[net.layers.length - 1]!.outShape]);
  return b.model;
}
