import { removeUnreadInitializers } from '../ir/graph.js';
import { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import { toFloat32 } from '../ir/tensor/values.js';
import type { Value } from '../ir/value.js';
import type { Pass } from './pass.js';

/** HardSwish entered ai.onnx at opset 14. */
export const HARDSWISH_OPSET = 14;

/**
 * Fold a decomposed hardswish — x · Clip(x + 3, 0, 6) / 6 (or · 1/6), as paddle2onnx and tf2onnx
 * write MobileNetV3-style networks — into one HardSwish. For static int8 the four ops run in float
 * between a DequantizeLinear and the next QuantizeLinear in every layer (PaddleOCR det has 24 of
 * them), so one op instead of four is where much of int8's speed goes. Needs opset ≥ 14: the pass
 * leaves a model at an older opset alone (`countHardswish` says whether upgrading is worth it).
 */
export const foldHardswishPass: Pass = {
  name: 'fold-hardswish',
  run(model: Model) {
    let modified = false;
    if ((model.opset() ?? 0) < HARDSWISH_OPSET) return { model, modified };
    for (const graph of model.allGraphs()) {
      for (const node of graph.nodes) {
        const match = matchHardswish(node);
        if (!match) continue;
        const result = node.output();
        const hardswish = new Node({ opType: 'HardSwish', name: model.freshName(`${result.name}_hardswish`), inputs: [match.x] });
        graph.insertBefore(match.nodes[0]!, hardswish);
        node.setOutput(0, null);
        hardswish.setOutput(0, result);
        const constants = match.nodes.flatMap((n) => n.inputs);
        for (const n of [...match.nodes].reverse()) graph.removeNode(n, { force: true });
        removeUnreadInitializers(constants);
        modified = true;
      }
    }
    return { model, modified };
  },
};

/** How many decomposed hardswish patterns the model holds (whatever its opset). */
export function countHardswish(model: Model): number {
  let n = 0;
  for (const graph of model.allGraphs()) for (const node of graph.nodes) if (matchHardswish(node)) n++;
  return n;
}

interface Match {
  x: Value;
  /** Add, Clip, Mul, then the Div or Mul by 1/6 (graph order). */
  nodes: Node[];
}

/** `node` is the final Div by 6 (or Mul by 1/6) of x · Clip(x + 3, 0, 6), each middle value read once. */
function matchHardswish(node: Node): Match | undefined {
  if (node.domain !== '') return undefined;
  let product: Value | null | undefined;
  if (node.opType === 'Div' && isScalar(node.input(1), 6)) product = node.input(0);
  else if (node.opType === 'Mul') {
    const k = [0, 1].find((i) => isScalar(node.input(i), 1 / 6));
    if (k !== undefined) product = node.input(1 - k);
  }
  const mul = onlyReader(product, node);
  if (!mul || mul.opType !== 'Mul') return undefined;
  for (const clipIndex of [0, 1]) {
    const clip = onlyReader(mul.input(clipIndex), mul);
    const x = mul.input(1 - clipIndex);
    if (!clip || clip.opType !== 'Clip' || !x || !isClip0To6(clip)) continue;
    const add = onlyReader(clip.input(0), clip);
    if (!add || add.opType !== 'Add') continue;
    const three = add.input(0) === x ? add.input(1) : add.input(1) === x ? add.input(0) : undefined;
    if (isScalar(three, 3)) return { x, nodes: [add, clip, mul, node] };
  }
  return undefined;
}

/** The producer of `v` when `reader` is its only reader and it is no graph output. */
function onlyReader(v: Value | null | undefined, reader: Node): Node | undefined {
  if (!v || v.isGraphOutput() || v.uses().length !== 1 || v.uses()[0]!.node !== reader) return undefined;
  const producer = v.producer();
  return producer && producer.graph === reader.graph && producer.domain === '' ? producer : undefined;
}

function isClip0To6(clip: Node): boolean {
  if (clip.inputs.length > 1) return isScalar(clip.input(1), 0) && isScalar(clip.input(2), 6);
  return clip.attrFloat('min') === 0 && clip.attrFloat('max') === 6;
}

function isScalar(v: Value | null | undefined, expected: number): boolean {
  const t = v?.constTensor();
  if (!t || t.dtype !== DataType.FLOAT || t.size !== 1) return false;
  return Math.abs(toFloat32(t)[0]! - expected) <= 1e-6 * Math.abs(expected);
}
