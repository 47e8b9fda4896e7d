import type { Node } from '../../ir/node.js';
import type { Value } from '../../ir/value.js';
import type { KeepReason } from './op-policy.js';

// Float16 patterns that are valid ONNX but break onnxruntime, found by loading converted corpus
// models. Each is kept in float32, which avoids the broken path at the cost of two Casts.

/**
 * onnxruntime-node 1.30 (CPU, graph optimization level 'all', the default) crashes with a
 * segmentation fault while loading a float16 Transpose that moves the batch axis — perm
 * [1, …, r-2, 0, r-1] or [1, …, r-1, 0], the forms its MatMulTransposeFusion turns into
 * FusedMatMul with transBatchA — when the Transpose feeds a MatMul (directly or through Identity).
 * mailwoman's attention (x.transpose(0, 1) before the in-projection) has this shape. A float32
 * Transpose between Casts loads and runs.
 */
export function onnxruntimeWorkaround(node: Node): KeepReason | undefined {
  if (node.domain !== '' || node.opType !== 'Transpose') return undefined;
  const perm = node.attrInts('perm');
  if (!perm || !isBatchTranspose(perm) || !feedsMatMul(node.output())) return undefined;
  return {
    code: 'fp16-runtime-bug',
    reason: `onnxruntime 1.30 crashes when it fuses a float16 Transpose with perm [${perm.join(',')}] into the MatMul it feeds; kept float32`,
  };
}

function isBatchTranspose(perm: readonly number[]): boolean {
  const r = perm.length;
  if (r < 3) return false;
  const head = perm.slice(0, r - 2).every((p, i) => p === i + 1);
  const batchToRowAxis = head && perm[r - 2] === 0 && perm[r - 1] === r - 1;
  const batchToLastAxis = perm.slice(0, r - 1).every((p, i) => p === i + 1) && perm[r - 1] === 0;
  return batchToRowAxis || batchToLastAxis;
}

function feedsMatMul(v: Value): boolean {
  return v.uses().some(({ node }) => {
    if (node.domain !== '') return false;
    if (node.opType === 'MatMul') return true;
    return node.opType === 'Identity' && feedsMatMul(node.output());
  });
}
