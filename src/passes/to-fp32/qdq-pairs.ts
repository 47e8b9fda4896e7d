import type { Model } from '../../ir/model.js';
import { Node } from '../../ir/node.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import type { Value } from '../../ir/value.js';
import { removeIfDead } from './dead-code.js';

/**
 * QuantizeLinear → DequantizeLinear on an activation (static QDQ quantization) only rounds the
 * float value; without the pair the float model reads the value itself. The pair is removed when
 * the DequantizeLinear uses the same constant scale and zero point as the QuantizeLinear.
 */
export function removeQdqPair(model: Model, dq: Node): boolean {
  if (dq.opType !== 'DequantizeLinear' || dq.domain !== '') return false;
  const q = dq.input(0)?.producer();
  if (!q || q.opType !== 'QuantizeLinear' || q.domain !== '') return false;
  const sameParams = sameConstant(q.input(1), dq.input(1)) && sameConstant(q.input(2), dq.input(2)) && q.attrInt('axis', 1) === dq.attrInt('axis', 1);
  if (!sameParams) return false;
  const x = q.input(0)!;
  const out = dq.output();
  if (out.isGraphOutput()) {
    // The output keeps its name: an Identity stands where the DequantizeLinear was.
    dq.setOutput(0, null);
    dq.graph!.insertBefore(dq, new Node({ opType: 'Identity', name: model.freshName(`${dq.name || out.name}_identity`), inputs: [x], outputs: [out] }));
  } else {
    out.replaceAllUsesWith(x, { graphOutputs: false });
  }
  removeIfDead(dq);
  return true;
}

function sameConstant(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true;
  const [ta, tb] = [a?.constTensor(), b?.constTensor()];
  return !!ta && !!tb && sameTensor(ta, tb);
}

function sameTensor(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.dims.join() !== b.dims.join()) return false;
  const [x, y] = [a.bytes(), b.bytes()];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
