import { DataType } from '../ir/dtype.js';

// onnxruntime-common names tensor element types with strings; these tables translate.

const TO_ORT: Partial<Record<DataType, string>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.FLOAT16]: 'float16',
  [DataType.DOUBLE]: 'float64',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.INT16]: 'int16',
  [DataType.UINT16]: 'uint16',
  [DataType.INT32]: 'int32',
  [DataType.UINT32]: 'uint32',
  [DataType.INT64]: 'int64',
  [DataType.UINT64]: 'uint64',
  [DataType.BOOL]: 'bool',
  [DataType.STRING]: 'string',
  [DataType.INT4]: 'int4',
  [DataType.UINT4]: 'uint4',
};

const FROM_ORT = new Map<string, DataType>(Object.entries(TO_ORT).map(([k, v]) => [v!, Number(k) as DataType]));

export function toOrtType(dtype: DataType): string {
  const name = TO_ORT[dtype];
  if (!name) throw new TypeError(`onnxruntime tensors cannot hold data type ${DataType[dtype]}`);
  return name;
}

export function fromOrtType(name: string): DataType | undefined {
  return FROM_ORT.get(name);
}
