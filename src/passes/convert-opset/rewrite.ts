// Graph edits the step adapters share: constants in the right place, nodes around the converted
// one, and the replacement of a node whose outputs must shrink.
import { AttrType, attr, type AttributeValue } from '../../ir/attribute.js';
import { DataType } from '../../ir/dtype.js';
import { Node } from '../../ir/node.js';
import { DenseTensor } from '../../ir/tensor/dense.js';
import { floatToBfloat16, floatToHalf } from '../../ir/tensor/float16.js';
import type { Tensor } from '../../ir/tensor/tensor.js';
import { tensorType } from '../../ir/types.js';
import { Value } from '../../ir/value.js';
import type { StepContext } from './step.js';

/** An int64 tensor constant for the node's graph: a 1-D tensor, or a scalar when asked. */
export function int64Constant(ctx: StepContext, values: readonly (number | bigint)[], base: string, scalar = false): Value {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return constant(ctx, DenseTensor.fromTyped(DataType.INT64, scalar ? [] : [values.length], data), base);
}

/** The float element types old attribute-valued scalars (Clip min/max, Pad value) can be made in. */
export const FLOAT_TYPES: ReadonlySet<DataType> = new Set([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16]);

/** A scalar of one of FLOAT_TYPES, for inputs that must match the data's element type. */
export function floatScalar(ctx: StepContext, dtype: DataType, value: number, base: string): Value {
  const tensor =
    dtype === DataType.DOUBLE
      ? DenseTensor.fromTyped(dtype, [], Float64Array.of(value))
      : dtype === DataType.FLOAT16
        ? DenseTensor.fromTyped(dtype, [], Uint16Array.of(floatToHalf(value)))
        : dtype === DataType.BFLOAT16
          ? DenseTensor.fromTyped(dtype, [], Uint16Array.of(floatToBfloat16(value)))
          : DenseTensor.fromTyped(DataType.FLOAT, [], Float32Array.of(value));
  return constant(ctx, tensor, base);
}

/**
 * A constant the node can read: an initializer of the node's graph (subgraphs included), or a
 * Constant node placed before it inside function bodies, which cannot hold initializers.
 */
export function constant(ctx: StepContext, tensor: Tensor, base: string): Value {
  const name = ctx.freshName(base);
  if (!ctx.inFunction) return ctx.graph.addInitializer(name, tensor);
  const node = new Node({ opType: 'Constant', name: ctx.freshName(`${base}_const`), outputs: [name], attributes: { value: attr.tensor(tensor) } });
  node.output().type = tensorType(tensor.dtype, [...tensor.dims]);
  ctx.graph.insertBefore(ctx.node, node);
  return node.output();
}

/** Add a node right before the converted one and return its single output. */
export function insertBefore(
  ctx: StepContext,
  opType: string,
  inputs: (Value | null)[],
  attributes: Record<string, AttributeValue> = {},
  base = opType,
): Value {
  const node = new Node({ opType, name: ctx.freshName(`${ctx.node.name || opType}_${base}`), inputs, outputs: [ctx.freshName(`${inputs[0]?.name ?? base}_${base}`)], attributes });
  ctx.graph.insertBefore(ctx.node, node);
  return node.output();
}

/**
 * Let a new node, placed right after the converted one, produce the converted node's output `index`;
 * the converted node writes a fresh value instead, which is returned for the new node to read.
 */
export function redirectOutput(ctx: StepContext, index: number, opType: string, inputs: (outputOfNode: Value) => (Value | null)[], attributes: Record<string, AttributeValue> = {}): Value {
  const original = ctx.node.output(index);
  const inner = new Value(ctx.freshName(`${original.name}_${ctx.node.opType}`));
  ctx.node.setOutput(index, inner);
  const after = new Node({ opType, name: ctx.freshName(`${ctx.node.name || ctx.node.opType}_${opType}`), inputs: inputs(inner), outputs: [original], attributes });
  ctx.graph.insertAfter(ctx.node, after);
  return inner;
}

/**
 * Replace the converted node by one with the same op, attributes and inputs but only its first
 * `keep` outputs: old schemas had optional outputs the new ones no longer allow, and an omitted
 * output ('') still counts as present.
 */
export function keepOutputs(ctx: StepContext, keep: number): Node {
  const old = ctx.node;
  const outputs = old.outputs.slice(0, keep);
  const dropped = new Set(old.outputs.slice(keep));
  ctx.graph.valueInfos = ctx.graph.valueInfos.filter((v) => !dropped.has(v));
  outputs.forEach((_, i) => old.setOutput(i, null));
  const replacement = new Node({ opType: old.opType, domain: old.domain, name: old.name, inputs: [...old.inputs], outputs, docString: old.docString });
  for (const [name, a] of old.attributes) replacement.attributes.set(name, a);
  replacement.overload = old.overload;
  replacement.metadataProps = old.metadataProps;
  replacement.deviceConfigurations = old.deviceConfigurations;
  ctx.graph.insertBefore(old, replacement);
  ctx.graph.removeNode(old, { force: true });
  return replacement;
}

/** True when nothing reads the value: no node input and no graph output. */
export function isUnused(v: Value | null | undefined): boolean {
  return !v || (v.uses().length === 0 && !v.isGraphOutput());
}

/** An INTS attribute as exact int64 values (sentinels such as INT64_MAX do not survive a trip through number). */
export function int64Attribute(node: Node, name: string): bigint[] | undefined {
  const a = node.getAttr(name);
  if (a?.type === AttrType.INTS) return a.value;
  if (a?.type === AttrType.INT) return [a.value];
  return undefined;
}
