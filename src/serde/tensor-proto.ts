import { create, isFieldSet } from '@bufbuild/protobuf';
import { TensorProtoSchema, TensorProto_DataLocation, TensorProto_SegmentSchema, type TensorProto } from 'onnx-buf';
import { DataType, dtypeInfo, dtypeName, isKnownDataType } from '../ir/dtype.js';
import { DenseTensor } from '../ir/tensor/dense.js';
import { ExternalTensor, type ExternalDataSource, type ExternalLocation } from '../ir/tensor/external.js';
import { StringTensor } from '../ir/tensor/string.js';
import { expectedByteLength, type Tensor, type TensorMeta } from '../ir/tensor/tensor.js';
import { ExternalDataError, ModelFormatError } from '../errors.js';
import { normalizeLocation, unsafeLocationReason } from './external-location.js';
import { entriesFromProto, entriesToProto } from './entries.js';

export interface TensorDecodeContext {
  /** File label for messages. */
  file: string;
  external: ExternalDataSource | undefined;
}

export function tensorFromProto(tp: TensorProto, ctx: TensorDecodeContext): Tensor {
  const name = tp.name;
  const fail = (reason: string) => new ModelFormatError(`${ctx.file}: tensor '${name}': ${reason}`, { code: 'bad-tensor', file: ctx.file, tensor: name });
  if (!isKnownDataType(tp.dataType) || tp.dataType === DataType.UNDEFINED) throw fail(`unknown data type ${tp.dataType}`);
  const dtype = tp.dataType as DataType;
  const dims = tp.dims.map((d) => {
    if (d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`dimension ${d} is out of range`);
    return Number(d);
  });
  const meta: TensorMeta = {
    name,
    docString: tp.docString,
    metadataProps: entriesFromProto(tp.metadataProps),
    storage: 'raw',
    ...(tp.segment ? { segment: { begin: tp.segment.begin, end: tp.segment.end } } : {}),
  };
  if (tp.dataLocation === TensorProto_DataLocation.EXTERNAL) return externalTensor(tp, dtype, dims, meta, ctx);
  if (dtype === DataType.STRING) return new StringTensor(dims, tp.stringData, meta);
  // An empty tensor written with neither raw_data nor typed fields stays that way ('typed' with no data).
  const hasRaw = tp.rawData.byteLength > 0 || isFieldSet(tp, TensorProtoSchema.field.rawData);
  if (hasRaw || (!hasTypedData(tp) && expectedByteLength(dtype, dims) > 0)) {
    const expected = expectedByteLength(dtype, dims);
    if (tp.rawData.byteLength !== expected) {
      throw fail(`${dtypeName(dtype)}[${dims.join(',')}] needs ${expected} bytes of raw_data, found ${tp.rawData.byteLength} (truncated or corrupt file?)`);
    }
    return new DenseTensor(dtype, dims, tp.rawData, meta);
  }
  meta.storage = 'typed';
  try {
    return new DenseTensor(dtype, dims, typedFieldsToBytes(tp, dtype), meta);
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error));
  }
}

function hasTypedData(tp: TensorProto): boolean {
  return tp.floatData.length + tp.int32Data.length + tp.int64Data.length + tp.doubleData.length + tp.uint64Data.length > 0;
}

/** Typed repeated fields → raw_data bytes. These fields are already decoded numbers, so this copy is unavoidable. */
function typedFieldsToBytes(tp: TensorProto, dtype: DataType): Uint8Array {
  const info = dtypeInfo(dtype);
  switch (info.protoField) {
    case 'float_data':
      return bytesOf(Float32Array.from(tp.floatData));
    case 'double_data':
      return bytesOf(Float64Array.from(tp.doubleData));
    case 'int64_data':
      return bytesOf(BigInt64Array.from(tp.int64Data));
    case 'uint64_data':
      if (dtype === DataType.UINT32) return bytesOf(Uint32Array.from(tp.uint64Data, Number));
      return bytesOf(BigUint64Array.from(tp.uint64Data, (v) => BigInt.asUintN(64, v)));
    case 'int32_data': {
      if (info.bits < 8) return Uint8Array.from(tp.int32Data); // one packed byte per entry
      const ctor = info.array!;
      return bytesOf((ctor as Int32ArrayConstructor).from(tp.int32Data));
    }
    default:
      throw new Error(`no typed field for ${dtypeName(dtype)}`);
  }
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function externalTensor(tp: TensorProto, dtype: DataType, dims: number[], meta: TensorMeta, ctx: TensorDecodeContext): Tensor {
  const entries = entriesFromProto(tp.externalData);
  const get = (key: string) => entries.find(([k]) => k === key)?.[1];
  const location = get('location');
  const err = (reason: string, code = 'bad-external-data') =>
    new ExternalDataError(`${ctx.file}: tensor '${meta.name}': ${reason}`, { code, file: ctx.file, tensor: meta.name });
  if (location === undefined) throw err('external_data has no location');
  const unsafe = unsafeLocationReason(location);
  if (unsafe) throw err(`refusing external data location '${location}': ${unsafe}`, 'unsafe-external-location');
  const parseInt64 = (key: string, fallback: number) => {
    const text = get(key);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text)) throw err(`external_data ${key} '${text}' is not a non-negative integer`);
    return Number(text);
  };
  const offset = parseInt64('offset', 0);
  const length = parseInt64('length', expectedByteLength(dtype, dims));
  if (!ctx.external) throw err(`its data is in external file '${location}', and no external data source was given`, 'external-data-unavailable');
  const fileSize = ctx.external.size(normalizeLocation(location));
  if (fileSize === undefined) throw err(`external data file '${location}' is missing (looked in ${ctx.external.label})`, 'external-data-missing');
  if (offset + length > fileSize) {
    throw err(`external data file '${location}' is too short: needs bytes ${offset}..${offset + length}, file has ${fileSize}`, 'external-data-short');
  }
  const where: ExternalLocation = {
    location: normalizeLocation(location),
    offset,
    length,
    extra: entries.filter(([k]) => !['location', 'offset', 'length', 'checksum'].includes(k)),
    ...(get('checksum') !== undefined ? { checksum: get('checksum')! } : {}),
  };
  try {
    return new ExternalTensor(dtype, dims, where, ctx.external, meta);
  } catch (error) {
    throw err(error instanceof Error ? error.message : String(error));
  }
}

/** Where an encoded tensor's payload goes when it is written to external data. */
export interface ExternalPlacement {
  location: string;
  offset: number;
  length: number;
}

/**
 * IR tensor → TensorProto. `placement` moves the payload to external data (the caller writes the
 * bytes); otherwise the payload is inlined, in the storage form it was read in.
 */
export function tensorToProto(tensor: Tensor, name: string, placement?: ExternalPlacement): TensorProto {
  const tp = create(TensorProtoSchema, {
    dims: tensor.dims.map((d) => BigInt(d)),
    dataType: tensor.dtype,
  });
  if (name) tp.name = name;
  if (tensor.meta.docString) tp.docString = tensor.meta.docString;
  if (tensor.meta.metadataProps.length) tp.metadataProps = entriesToProto(tensor.meta.metadataProps);
  if (tensor.meta.segment) tp.segment = create(TensorProto_SegmentSchema, tensor.meta.segment);
  if (placement) {
    tp.dataLocation = TensorProto_DataLocation.EXTERNAL;
    tp.externalData = entriesToProto([
      ['location', placement.location],
      ['offset', String(placement.offset)],
      ['length', String(placement.length)],
    ]);
    return tp;
  }
  if (tensor instanceof StringTensor) {
    tp.stringData = tensor.strings as Uint8Array<ArrayBuffer>[];
    return tp;
  }
  const bytes = tensor.bytes();
  if (tensor.meta.storage === 'typed') writeTypedFields(tp, tensor.dtype, bytes, tensor.size);
  else tp.rawData = bytes as Uint8Array<ArrayBuffer>;
  return tp;
}

function writeTypedFields(tp: TensorProto, dtype: DataType, bytes: Uint8Array, count: number): void {
  const info = dtypeInfo(dtype);
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const buf = aligned.buffer;
  const off = aligned.byteOffset;
  switch (info.protoField) {
    case 'float_data':
      tp.floatData = Array.from(new Float32Array(buf, off, aligned.byteLength / 4));
      return;
    case 'double_data':
      tp.doubleData = Array.from(new Float64Array(buf, off, aligned.byteLength / 8));
      return;
    case 'int64_data':
      tp.int64Data = Array.from(new BigInt64Array(buf, off, count));
      return;
    case 'uint64_data':
      tp.uint64Data =
        dtype === DataType.UINT32
          ? Array.from(new Uint32Array(buf, off, count), (v) => BigInt(v))
          : Array.from(new BigUint64Array(buf, off, count));
      return;
    case 'int32_data':
      if (info.bits < 8) tp.int32Data = Array.from(aligned);
      else tp.int32Data = Array.from(new (info.array as Int32ArrayConstructor)(buf as ArrayBuffer, off, count));
      return;
    default:
      tp.rawData = bytes as Uint8Array<ArrayBuffer>;
  }
}
