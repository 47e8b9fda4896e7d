// The platform-free core: works on bytes, imports no fs and no onnxruntime. index-node.ts and
// index-browser.ts add file access and runtimes for their platforms.
export { DataType, dtypeInfo, dtypeName, dtypeFromName, byteSizeOf } from './ir/dtype.js';
export type { TypedArray, DTypeInfo } from './ir/dtype.js';
export { Model } from './ir/model.js';
export type { FunctionDef, TrainingInfo } from './ir/model.js';
export { Graph } from './ir/graph.js';
export { Node } from './ir/node.js';
export { Value } from './ir/value.js';
export type { Use } from './ir/value.js';
export { AttrType, attr } from './ir/attribute.js';
export type { Attribute, AttributeValue } from './ir/attribute.js';
export type { ValueType, TensorTypeInfo, Dim } from './ir/types.js';
export { tensorType, formatType } from './ir/types.js';
export type { Tensor, TensorMeta } from './ir/tensor/tensor.js';
export { DenseTensor } from './ir/tensor/dense.js';
export { StringTensor } from './ir/tensor/string.js';
export { ExternalTensor } from './ir/tensor/external.js';
export type { ExternalDataSource } from './ir/tensor/external.js';
export { typedData, toFloat32, toNumbers, float32Tensor, int64Tensor } from './ir/tensor/values.js';
export { GraphBuilder } from './ir/builder.js';
export { checkModel } from './ir/checker.js';
export { decodeModel } from './serde/decode.js';
export type { DecodeOptions } from './serde/decode.js';
export { encodeModel } from './serde/encode.js';
export type { EncodeOptions, ExternalDataTarget, ByteSink } from './serde/encode.js';
export { MemoryDataSource } from './serde/memory-source.js';
export * from './errors.js';
export type { Diagnostic } from './diagnostics.js';
