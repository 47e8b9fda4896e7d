import { DataType } from '../ir/dtype.js';
import { removeUnreadInitializers } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import { float32ArrayToHalf } from '../ir/tensor/float16.js';
import { toFloat32 } from '../ir/tensor/values.js';
import type { Pass } from './pass.js';

const FLOATS = new Set([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]);

/**
 * Replace Cast(constant) between float types by the cast constant. Models stored in float16 (imgly
 * ISNet `medium`) keep fp16 weights behind Cast(to=FLOAT); folding them exposes float32 weights that
 * the quantizer can see. Exact: the same conversion onnxruntime makes at run time.
 */
export const foldConstantCastsPass: Pass = {
  name: 'fold-constant-casts',
  run(model: Model) {
    let modified = false;
    for (const graph of model.allGraphs()) {
      for (const node of graph.nodes) {
        if (node.opType !== 'Cast' || node.domain !== '') continue;
        const input = node.input(0);
        const tensor = input?.constTensor();
        const to = node.attrInt('to');
        if (!tensor || to === undefined || !FLOATS.has(tensor.dtype) || (to !== DataType.FLOAT && to !== DataType.FLOAT16)) continue;
        const out = node.outputs[0];
        if (!out || graph.initializers.has(out.name)) continue;
        const floats = toFloat32(tensor);
        const folded = to === DataType.FLOAT ? DenseTensor.fromTyped(DataType.FLOAT, [...tensor.dims], Float32Array.from(floats)) : DenseTensor.fromTyped(DataType.FLOAT16, [...tensor.dims], float32ArrayToHalf(floats));
        node.setOutput(0, null);
        graph.removeNode(node);
        out.initializer = folded;
        out.graph = graph;
        out.type = { kind: 'tensor', elemType: to, shape: [...tensor.dims] };
        graph.initializers.set(out.name, out);
        removeUnreadInitializers([input]);
        modified = true;
      }
    }
    return { model, modified };
  },
};
