import { DataType, dtypeName } from './dtype.js';

/** One dimension: a static size, a symbolic name ("batch"), or unknown (null). */
export type Dim = number | string | null;

export interface TensorTypeInfo {
  kind: 'tensor' | 'sparse_tensor';
  elemType: DataType;
  /** Absent when the rank is unknown. */
  shape?: Dim[];
  /** Per-dimension denotations, kept for the round trip. */
  dimDenotations?: (string | undefined)[];
  denotation?: string;
}

export type ValueType =
  | TensorTypeInfo
  | { kind: 'sequence'; elem?: ValueType; denotation?: string }
  | { kind: 'map'; keyType: DataType; value?: ValueType; denotation?: string }
  | { kind: 'optional'; elem?: ValueType; denotation?: string }
  /** A TypeProto with nothing set. */
  | { kind: 'unknown'; denotation?: string };

export function tensorType(elemType: DataType, shape?: Dim[]): TensorTypeInfo {
  return shape ? { kind: 'tensor', elemType, shape } : { kind: 'tensor', elemType };
}

export function isTensorType(type: ValueType | undefined): type is TensorTypeInfo {
  return type?.kind === 'tensor';
}

export function formatDim(dim: Dim): string {
  return dim === null ? '?' : String(dim);
}

export function formatType(type: ValueType | undefined): string {
  if (!type) return '?';
  switch (type.kind) {
    case 'tensor':
    case 'sparse_tensor': {
      const shape = type.shape ? `[${type.shape.map(formatDim).join(',')}]` : '[?]';
      return `${type.kind === 'sparse_tensor' ? 'sparse ' : ''}${dtypeName(type.elemType)}${shape}`;
    }
    case 'sequence':
      return `seq(${formatType(type.elem)})`;
    case 'map':
      return `map(${dtypeName(type.keyType)},${formatType(type.value)})`;
    case 'optional':
      return `optional(${formatType(type.elem)})`;
    default:
      return '?';
  }
}

/** Static shape as numbers, or undefined when any dimension is not a known number. */
export function staticShape(type: ValueType | undefined): number[] | undefined {
  if (!isTensorType(type) || !type.shape) return undefined;
  return type.shape.every((d) => typeof d === 'number') ? (type.shape as number[]) : undefined;
}

export function cloneType<T extends ValueType>(type: T): T {
  return structuredClone(type);
}
