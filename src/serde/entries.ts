import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema, type StringStringEntryProto } from 'onnx-buf';

export function entriesFromProto(entries: readonly StringStringEntryProto[]): [string, string][] {
  return entries.map((e) => [e.key, e.value]);
}

export function entriesToProto(entries: readonly [string, string][]): StringStringEntryProto[] {
  return entries.map(([key, value]) => create(StringStringEntryProtoSchema, { key, value }));
}
