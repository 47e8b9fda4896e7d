import { DataType, dtypeName, type TypedArray } from '../ir/dtype.js';
import { viewAs } from '../ir/tensor/dense.js';
import type { HostTensor } from '../runner/runner.js';
import { LowbitError } from '../errors.js';

// The .npy format is a short text header and raw little-endian data; parsing it by hand is a few
// lines, and no npm package handles every dtype lowbit needs (int64, float16, bool) without also
// copying the payload.

const DESCR: Record<string, DataType> = {
  f4: DataType.FLOAT,
  f8: DataType.DOUBLE,
  f2: DataType.FLOAT16,
  i1: DataType.INT8,
  u1: DataType.UINT8,
  i2: DataType.INT16,
  u2: DataType.UINT16,
  i4: DataType.INT32,
  u4: DataType.UINT32,
  i8: DataType.INT64,
  u8: DataType.UINT64,
  b1: DataType.BOOL,
};

export class DataFormatError extends LowbitError {}

/** A .npy file's header: what it holds, and where its data starts. */
export interface NpyHeader {
  dtype: DataType;
  dims: number[];
  dataStart: number;
  /** Bytes per element. */
  width: number;
}

const npyError = (file: string, reason: string) => new DataFormatError(`${file}: not a usable .npy file: ${reason}`, { code: 'bad-npy', file });

/** Where a .npy file's data starts (the end of its header), from its first 12 bytes. */
export function npyDataStart(bytes: Uint8Array, file = '<npy>'): number {
  if (bytes.byteLength < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') throw npyError(file, 'missing the \\x93NUMPY magic');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major !== 1 && bytes.byteLength < 12) throw npyError(file, 'the header is truncated');
  return major === 1 ? 10 + view.getUint16(8, true) : 12 + view.getUint32(8, true);
}

/** Read a .npy header: `bytes` holds the file's start, at least up to npyDataStart. */
export function readNpyHeader(bytes: Uint8Array, file = '<npy>'): NpyHeader {
  const dataStart = npyDataStart(bytes, file);
  const header = new TextDecoder('latin1').decode(bytes.subarray(bytes[6] === 1 ? 10 : 12, dataStart));
  const descr = /'descr'\s*:\s*'([<>|=])([a-z]\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeMatch) throw npyError(file, `cannot read its header ${JSON.stringify(header.trim())}`);
  const dtype = DESCR[descr[2]!];
  if (dtype === undefined) throw npyError(file, `dtype '${descr[1]}${descr[2]}' is not supported`);
  if (descr[1] === '>' && descr[2] !== 'i1' && descr[2] !== 'u1' && descr[2] !== 'b1') throw npyError(file, 'big-endian data is not supported; save it little-endian');
  if (fortran[1] === 'True') throw npyError(file, 'Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray');
  const dims = shapeMatch[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw npyError(file, `bad shape (${shapeMatch[1]})`);
  return { dtype, dims, dataStart, width: dtype === DataType.BOOL ? 1 : Number(descr[2]!.slice(1)) };
}

/** Parse a .npy file. The data is a view of `bytes` when aligned, else one aligned copy. */
export function parseNpy(bytes: Uint8Array, file = '<npy>'): HostTensor {
  const { dtype, dims, dataStart, width } = readNpyHeader(bytes, file);
  const count = dims.reduce((a, b) => a * b, 1);
  const payload = bytes.subarray(dataStart, dataStart + count * width);
  if (payload.byteLength !== count * width) throw npyError(file, `the file is truncated: ${dtypeName(dtype)}[${dims.join(',')}] needs ${count * width} bytes, has ${payload.byteLength}`);
  return { dtype, dims, data: viewAs(dtype, payload, count) as TypedArray };
}

/** Serialize a tensor as .npy (version 1.0), for tests and for writing calibration sets. */
export function encodeNpy(tensor: HostTensor): Uint8Array {
  const code = Object.entries(DESCR).find(([, t]) => t === tensor.dtype)?.[0];
  if (!code || Array.isArray(tensor.data)) throw new TypeError(`cannot write ${dtypeName(tensor.dtype)} as .npy`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${code === 'b1' || code.endsWith('1') ? '|' : '<'}${code}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = tensor.data as TypedArray;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
