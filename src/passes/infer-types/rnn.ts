import type { Dim } from '../../ir/types.js';
import type { TypeRule } from './context.js';
import { sharedDtype, tensorOf } from './common.js';

/**
 * LSTM, GRU and RNN. Y is [seq, directions, batch, hidden] and the final states
 * [directions, batch, hidden]; layout = 1 (opset 14) puts batch first in all of them.
 */
const recurrent: TypeRule = (ctx) => {
  const dtype = sharedDtype(ctx, [0, 1, 2]);
  const x = ctx.shape(0);
  const r = ctx.shape(2);
  const batchFirst = ctx.int('layout', 0) === 1;
  const seq: Dim = x ? x[batchFirst ? 1 : 0]! : null;
  const batch: Dim = x ? x[batchFirst ? 0 : 1]! : null;
  const hidden: Dim = ctx.int('hidden_size') ?? r?.[2] ?? null;
  const directions: Dim = ctx.string('direction', 'forward') === 'bidirectional' ? 2 : 1;
  const y = batchFirst ? [batch, seq, directions, hidden] : [seq, directions, batch, hidden];
  const state = batchFirst ? [batch, directions, hidden] : [directions, batch, hidden];
  return [tensorOf(dtype, y), tensorOf(dtype, state), tensorOf(dtype, state)];
};

export const rnnRules: Record<string, TypeRule> = { LSTM: recurrent, GRU: recurrent, RNN: recurrent };
