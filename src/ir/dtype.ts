// Element types of ONNX tensors, numbered exactly as TensorProto.DataType so that serde can pass
// numbers straight through; the IR keeps its own copy so that it never imports the protobuf code.

export enum DataType {
  UNDEFINED = 0,
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  COMPLEX128 = 15,
  BFLOAT16 = 16,
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
  FLOAT4E2M1 = 23,
  FLOAT8E8M0 = 24,
  UINT2 = 25,
  INT2 = 26,
}

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

type TypedArrayConstructor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

export interface DTypeInfo {
  readonly type: DataType;
  /** Lower-case name as ONNX Runtime and numpy spell it ("float32", "int4", "float8e4m3fn"). */
  readonly name: string;
  /** Bits per element; 4 and 2 for the packed types, 0 for string. */
  readonly bits: number;
  readonly isFloat: boolean;
  readonly isInteger: boolean;
  readonly signed: boolean;
  /** Range of the integer types, used by saturation in Q/DQ math. */
  readonly min?: number;
  readonly max?: number;
  /**
   * The typed array that holds one element per slot in little-endian memory, when one exists.
   * float16/bfloat16/float8 are held as their raw bit patterns (Uint16Array / Uint8Array).
   */
  readonly array?: TypedArrayConstructor;
  /** Which TensorProto typed field stores this type when raw_data is not used. */
  readonly protoField: 'float_data' | 'int32_data' | 'int64_data' | 'double_data' | 'uint64_data' | 'string_data';
}

function info(
  type: DataType,
  name: string,
  bits: number,
  kind: 'float' | 'int' | 'other',
  signed: boolean,
  array: TypedArrayConstructor | undefined,
  protoField: DTypeInfo['protoField'],
  range?: [number, number],
): DTypeInfo {
  return {
    type,
    name,
    bits,
    isFloat: kind === 'float',
    isInteger: kind === 'int',
    signed,
    ...(range ? { min: range[0], max: range[1] } : {}),
    ...(array ? { array } : {}),
    protoField,
  };
}

const TABLE: readonly DTypeInfo[] = [
  info(DataType.UNDEFINED, 'undefined', 0, 'other', false, undefined, 'int32_data'),
  info(DataType.FLOAT, 'float32', 32, 'float', true, Float32Array, 'float_data'),
  info(DataType.UINT8, 'uint8', 8, 'int', false, Uint8Array, 'int32_data', [0, 255]),
  info(DataType.INT8, 'int8', 8, 'int', true, Int8Array, 'int32_data', [-128, 127]),
  info(DataType.UINT16, 'uint16', 16, 'int', false, Uint16Array, 'int32_data', [0, 65535]),
  info(DataType.INT16, 'int16', 16, 'int', true, Int16Array, 'int32_data', [-32768, 32767]),
  info(DataType.INT32, 'int32', 32, 'int', true, Int32Array, 'int32_data', [-2147483648, 2147483647]),
  info(DataType.INT64, 'int64', 64, 'int', true, BigInt64Array, 'int64_data'),
  info(DataType.STRING, 'string', 0, 'other', false, undefined, 'string_data'),
  info(DataType.BOOL, 'bool', 8, 'other', false, Uint8Array, 'int32_data', [0, 1]),
  info(DataType.FLOAT16, 'float16', 16, 'float', true, Uint16Array, 'int32_data'),
  info(DataType.DOUBLE, 'float64', 64, 'float', true, Float64Array, 'double_data'),
  info(DataType.UINT32, 'uint32', 32, 'int', false, Uint32Array, 'uint64_data', [0, 4294967295]),
  info(DataType.UINT64, 'uint64', 64, 'int', false, BigUint64Array, 'uint64_data'),
  info(DataType.COMPLEX64, 'complex64', 64, 'other', true, Float32Array, 'float_data'),
  info(DataType.COMPLEX128, 'complex128', 128, 'other', true, Float64Array, 'double_data'),
  info(DataType.BFLOAT16, 'bfloat16', 16, 'float', true, Uint16Array, 'int32_data'),
  info(DataType.FLOAT8E4M3FN, 'float8e4m3fn', 8, 'float', true, Uint8Array, 'int32_data'),
  info(DataType.FLOAT8E4M3FNUZ, 'float8e4m3fnuz', 8, 'float', true, Uint8Array, 'int32_data'),
  info(DataType.FLOAT8E5M2, 'float8e5m2', 8, 'float', true, Uint8Array, 'int32_data'),
  info(DataType.FLOAT8E5M2FNUZ, 'float8e5m2fnuz', 8, 'float', true, Uint8Array, 'int32_data'),
  info(DataType.UINT4, 'uint4', 4, 'int', false, undefined, 'int32_data', [0, 15]),
  info(DataType.INT4, 'int4', 4, 'int', true, undefined, 'int32_data', [-8, 7]),
  info(DataType.FLOAT4E2M1, 'float4e2m1', 4, 'float', true, undefined, 'int32_data'),
  info(DataType.FLOAT8E8M0, 'float8e8m0', 8, 'float', false, Uint8Array, 'int32_data'),
  info(DataType.UINT2, 'uint2', 2, 'int', false, undefined, 'int32_data', [0, 3]),
  info(DataType.INT2, 'int2', 2, 'int', true, undefined, 'int32_data', [-2, 1]),
];

export function dtypeInfo(type: DataType | number): DTypeInfo {
  const found = TABLE[type];
  if (!found) throw new RangeError(`unknown ONNX data type ${type}`);
  return found;
}

export function isKnownDataType(type: number): type is DataType {
  return Number.isInteger(type) && type >= 0 && type < TABLE.length;
}

export function dtypeName(type: DataType | number): string {
  return isKnownDataType(type) ? TABLE[type]!.name : `dtype(${type})`;
}

export function dtypeFromName(name: string): DataType | undefined {
  const wanted = name.toLowerCase() === 'float' ? 'float32' : name.toLowerCase() === 'double' ? 'float64' : name.toLowerCase();
  return TABLE.find((entry) => entry.name === wanted)?.type;
}

/** Bytes that `count` elements occupy in raw_data; sub-byte types are packed, the last byte padded. */
export function byteSizeOf(type: DataType, count: number): number {
  const bits = dtypeInfo(type).bits;
  if (bits === 0) throw new RangeError(`${dtypeName(type)} has no fixed element size`);
  return Math.ceil((count * bits) / 8);
}

export function isFloatType(type: DataType): boolean {
  return dtypeInfo(type).isFloat;
}
