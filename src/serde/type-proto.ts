import { create } from '@bufbuild/protobuf';
import {
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_MapSchema,
  TypeProto_OptionalSchema,
  TypeProto_SequenceSchema,
  TypeProto_SparseTensorSchema,
  TypeProto_TensorSchema,
  type TensorShapeProto,
  type TypeProto,
} from 'onnx-buf';
import type { DataType } from '../ir/dtype.js';
import type { Dim, TensorTypeInfo, ValueType } from '../ir/types.js';

export function typeFromProto(tp: TypeProto): ValueType {
  const denotation = tp.denotation ? { denotation: tp.denotation } : {};
  const v = tp.value;
  switch (v.case) {
    case 'tensorType':
    case 'sparseTensorType': {
      const t: TensorTypeInfo = { kind: v.case === 'tensorType' ? 'tensor' : 'sparse_tensor', elemType: v.value.elemType as DataType, ...denotation };
      if (v.value.shape) shapeFromProto(v.value.shape, t);
      return t;
    }
    case 'sequenceType':
      return { kind: 'sequence', ...(v.value.elemType ? { elem: typeFromProto(v.value.elemType) } : {}), ...denotation };
    case 'mapType':
      return { kind: 'map', keyType: v.value.keyType as DataType, ...(v.value.valueType ? { value: typeFromProto(v.value.valueType) } : {}), ...denotation };
    case 'optionalType':
      return { kind: 'optional', ...(v.value.elemType ? { elem: typeFromProto(v.value.elemType) } : {}), ...denotation };
    default:
      return { kind: 'unknown', ...denotation };
  }
}

function shapeFromProto(shape: TensorShapeProto, into: TensorTypeInfo): void {
  into.shape = shape.dim.map((d): Dim => {
    if (d.value.case === 'dimValue') return Number(d.value.value);
    if (d.value.case === 'dimParam') return d.value.value;
    return null;
  });
  if (shape.dim.some((d) => d.denotation)) into.dimDenotations = shape.dim.map((d) => d.denotation || undefined);
}

export function typeToProto(type: ValueType): TypeProto {
  const tp = create(TypeProtoSchema);
  if (type.denotation) tp.denotation = type.denotation;
  switch (type.kind) {
    case 'tensor':
    case 'sparse_tensor': {
      const shape = type.shape ? { shape: shapeToProto(type) } : {};
      tp.value =
        type.kind === 'tensor'
          ? { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: type.elemType, ...shape }) }
          : { case: 'sparseTensorType', value: create(TypeProto_SparseTensorSchema, { elemType: type.elemType, ...shape }) };
      break;
    }
    case 'sequence': {
      const inner = create(TypeProto_SequenceSchema);
      if (type.elem) inner.elemType = typeToProto(type.elem);
      tp.value = { case: 'sequenceType', value: inner };
      break;
    }
    case 'map': {
      const inner = create(TypeProto_MapSchema);
      inner.keyType = type.keyType;
      if (type.value) inner.valueType = typeToProto(type.value);
      tp.value = { case: 'mapType', value: inner };
      break;
    }
    case 'optional': {
      const inner = create(TypeProto_OptionalSchema);
      if (type.elem) inner.elemType = typeToProto(type.elem);
      tp.value = { case: 'optionalType', value: inner };
      break;
    }
    default:
      break;
  }
  return tp;
}

function shapeToProto(type: TensorTypeInfo): TensorShapeProto {
  return create(TensorShapeProtoSchema, {
    dim: type.shape!.map((d, i) => {
      const dim = create(TensorShapeProto_DimensionSchema);
      if (typeof d === 'number') dim.value = { case: 'dimValue', value: BigInt(d) };
      else if (typeof d === 'string') dim.value = { case: 'dimParam', value: d };
      const denotation = type.dimDenotations?.[i];
      if (denotation) dim.denotation = denotation;
      return dim;
    }),
  });
}
