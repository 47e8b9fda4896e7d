import { AttrType } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtype.js';
import type { ValueType } from '../../ir/types.js';
import { cannotInfer, type TypeRule } from './context.js';
import { tensorOf } from './common.js';
import { unifyTypes } from './control-flow.js';

// Sequence and optional values, and Identity, which passes any of them through unchanged.

const sequenceOf = (elem: ValueType | undefined): ValueType => (elem ? { kind: 'sequence', elem } : { kind: 'sequence' });

function elementOf(type: ValueType | undefined): ValueType | undefined {
  return type && (type.kind === 'sequence' || type.kind === 'optional') ? type.elem : undefined;
}

const identity: TypeRule = (ctx) => [ctx.valueType(0) ?? cannotInfer(`input 0 ('${ctx.node.input(0)?.name ?? ''}') has no known type`)];

const sequenceConstruct: TypeRule = (ctx) => {
  const types = ctx.node.inputs.map((_, i) => ctx.valueType(i));
  const elem = types.reduce<ValueType | undefined>((acc, t) => (acc === undefined ? t : unifyTypes(acc, t)), undefined);
  return [sequenceOf(elem)];
};

const sequenceInsert: TypeRule = (ctx) => {
  const seq = elementOf(ctx.valueType(0));
  return [sequenceOf(seq ? unifyTypes(seq, ctx.valueType(1)) : ctx.valueType(1))];
};

const optional: TypeRule = (ctx) => {
  const declared = ctx.attr('type');
  const elem = ctx.has(0) ? ctx.valueType(0) : declared?.type === AttrType.TYPE_PROTO ? declared.value : undefined;
  return [elem ? { kind: 'optional', elem } : { kind: 'optional' }];
};

const optionalGetElement: TypeRule = (ctx) => {
  const t = ctx.valueType(0);
  const elem = t?.kind === 'optional' ? t.elem : t;
  return [elem ?? cannotInfer('the optional input has no known element type')];
};

export const sequenceRules: Record<string, TypeRule> = {
  Identity: identity,
  SequenceEmpty: (ctx) => [sequenceOf(tensorOf(ctx.dtypeAttr('dtype') ?? DataType.FLOAT, undefined))],
  SequenceConstruct: sequenceConstruct,
  SequenceInsert: sequenceInsert,
  SequenceErase: (ctx) => [ctx.valueType(0) ?? cannotInfer('the sequence input has no known type')],
  SequenceAt: (ctx) => [elementOf(ctx.valueType(0)) ?? cannotInfer('the sequence input has no known element type')],
  SequenceLength: () => [tensorOf(DataType.INT64, [])],
  SplitToSequence: (ctx) => [sequenceOf(tensorOf(ctx.dtype(0), undefined))],
  ConcatFromSequence: (ctx) => {
    const elem = elementOf(ctx.valueType(0));
    if (!elem || elem.kind !== 'tensor') cannotInfer('the sequence input has no known element type');
    return [tensorOf(elem.elemType, undefined)];
  },
  Optional: optional,
  OptionalHasElement: () => [tensorOf(DataType.BOOL, [])],
  OptionalGetElement: optionalGetElement,
};
