import { AttrType } from '../ir/attribute.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { StringTensor } from '../ir/tensor/string.js';
import type { Tensor } from '../ir/tensor/tensor.js';
import { float32Tensor, int64Tensor } from '../ir/tensor/values.js';
import type { Pass } from './pass.js';

/**
 * Turn Constant nodes into initializers of the same graph (same name, same readers). PaddleOCR keeps
 * every weight in a Constant node; quantization rewrites initializers, and onnxruntime does this
 * conversion itself at load time anyway.
 */
export const constantsToInitializersPass: Pass = {
  name: 'constants-to-initializers',
  run(model: Model) {
    let modified = false;
    for (const graph of model.allGraphs()) {
      for (const node of graph.nodes) {
        if (node.opType !== 'Constant' || node.domain !== '') continue;
        const tensor = constantValue(node);
        const out = node.outputs[0];
        if (!tensor || !out || graph.initializers.has(out.name)) continue;
        node.setOutput(0, null);
        graph.removeNode(node);
        out.initializer = tensor;
        out.graph = graph;
        out.type ??= { kind: 'tensor', elemType: tensor.dtype, shape: [...tensor.dims] };
        graph.initializers.set(out.name, out);
        modified = true;
      }
    }
    return { model, modified };
  },
};

/** The tensor a Constant node produces, from whichever of its attribute forms it uses. */
export function constantValue(node: Node): Tensor | undefined {
  for (const a of node.attributes.values()) {
    switch (a.name) {
      case 'value':
        if (a.type === AttrType.TENSOR) return a.value;
        break;
      case 'value_float':
        if (a.type === AttrType.FLOAT) return float32Tensor([], [a.value]);
        break;
      case 'value_floats':
        if (a.type === AttrType.FLOATS) return float32Tensor([a.value.length], a.value);
        break;
      case 'value_int':
        if (a.type === AttrType.INT) return int64Tensor([], [a.value]);
        break;
      case 'value_ints':
        if (a.type === AttrType.INTS) return int64Tensor([a.value.length], a.value);
        break;
      case 'value_string':
        if (a.type === AttrType.STRING) return new StringTensor([], [a.value]);
        break;
      case 'value_strings':
        if (a.type === AttrType.STRINGS) return new StringTensor([a.value.length], a.value);
        break;
    }
  }
  return undefined;
}

