import { DataType, dtypeName } from '../../ir/dtype.js';
import { formatType, type Dim, type TensorTypeInfo, type ValueType } from '../../ir/types.js';

export interface Refinement {
  /** The type the value should carry; undefined when nothing changes. */
  type: ValueType | undefined;
  /** Why the declared type and the inferred one disagree, when they do. */
  conflict?: string;
}

/**
 * Combine what a value declares with what inference found. A declared element type is never
 * replaced, nor a declared number or symbol; inference only fills what is missing: an absent type,
 * an unknown rank, a null dim.
 */
export function refineType(declared: ValueType | undefined, inferred: ValueType): Refinement {
  if (!declared || declared.kind === 'unknown') return { type: inferred };
  if (declared.kind !== inferred.kind) {
    return { type: undefined, conflict: `declared ${formatType(declared)}, inferred ${formatType(inferred)}` };
  }
  if (declared.kind === 'tensor' || declared.kind === 'sparse_tensor') return refineTensor(declared, inferred as TensorTypeInfo);
  if ((declared.kind === 'sequence' || declared.kind === 'optional') && !declared.elem && 'elem' in inferred && inferred.elem) {
    return { type: { ...declared, elem: inferred.elem } };
  }
  return { type: undefined };
}

function refineTensor(declared: TensorTypeInfo, inferred: TensorTypeInfo): Refinement {
  let conflict: string | undefined;
  let elemType = declared.elemType;
  if (elemType === DataType.UNDEFINED) elemType = inferred.elemType;
  else if (elemType !== inferred.elemType) conflict = `declared ${dtypeName(elemType)}, inferred ${dtypeName(inferred.elemType)}`;

  let shape = declared.shape;
  if (!shape) shape = inferred.shape;
  else if (inferred.shape && inferred.shape.length !== shape.length) {
    conflict ??= `declared rank ${shape.length} (${formatType(declared)}), inferred rank ${inferred.shape.length} (${formatType(inferred)})`;
  } else if (inferred.shape) {
    const merged = shape.map((d, i) => refineDim(d, inferred.shape![i]!));
    const clash = shape.findIndex((d, i) => typeof d === 'number' && typeof inferred.shape![i] === 'number' && d !== inferred.shape![i]);
    if (clash >= 0) conflict ??= `dim ${clash}: declared ${shape[clash]}, inferred ${inferred.shape[clash]}`;
    shape = merged;
  }
  const changed = elemType !== declared.elemType || !sameShape(shape, declared.shape);
  if (!changed) return conflict ? { type: undefined, conflict } : { type: undefined };
  const type: TensorTypeInfo = { ...declared, elemType, ...(shape ? { shape: [...shape] } : {}) };
  return conflict ? { type, conflict } : { type };
}

/** Declared numbers and symbols stand; a declared unknown takes what inference knows. */
function refineDim(declared: Dim, inferred: Dim): Dim {
  return declared === null ? inferred : declared;
}

function sameShape(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
