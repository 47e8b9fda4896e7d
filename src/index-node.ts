// Node.js entry: the core plus model files on disk and onnxruntime-node.
export * from './index.js';
export { readModelFile, writeModelFile } from './node/model-files.js';
export type { LoadedModel, WriteOptions, WrittenModel, ExternalDataMode } from './node/model-files.js';
export { FolderDataSource } from './node/external-source.js';
export { createNodeRunner } from './runner/ort-node.js';
export type { Runner, HostTensor, Feeds, RunnerOptions, Spinning } from './runner/runner.js';
export { openSource } from './node/data-sources.js';
export type { SourceOptions } from './node/data-sources.js';
export { hasInt8DotProduct } from './node/cpu.js';
export { writeQuantizeReport, writeEvalReport, gatherQuantizeReport } from './report/gather.js';
export { loadReportAssets } from './report/chart-asset.js';
export { nodeCalibrator } from './node/calibrator.js';
