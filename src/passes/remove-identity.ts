import type { Model } from '../ir/model.js';
import type { Pass } from './pass.js';

/**
 * Drop Identity nodes and inference Dropouts (whose mask nobody reads): they only break the
 * patterns onnxruntime fuses into int8 kernels. An Identity whose output is a graph output stays,
 * since the output's name is part of the model's interface.
 */
export const removeIdentityPass: Pass = {
  name: 'remove-identity',
  run(model: Model) {
    let modified = false;
    for (const graph of model.allGraphs()) {
      for (const node of graph.nodes) {
        if (node.domain !== '' || (node.opType !== 'Identity' && node.opType !== 'Dropout')) continue;
        if (node.opType === 'Dropout' && (node.input(2) || node.outputs.slice(1).some((o) => o && (o.uses().length || o.isGraphOutput())))) continue;
        const input = node.input(0);
        const out = node.outputs[0];
        if (!input || !out || out.isGraphOutput()) continue;
        out.replaceAllUsesWith(input, { graphOutputs: false });
        graph.removeNode(node);
        modified = true;
      }
    }
    return { model, modified };
  },
};
