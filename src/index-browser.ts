// Browser entry: the core, which works on bytes. Fetch the model (and any external data files,
// handed in through MemoryDataSource) and call decodeModel / encodeModel.
export * from './index.js';
export { createWebRunner } from './runner/ort-web.js';
export type { Runner, HostTensor, Feeds, RunnerOptions, Spinning } from './runner/runner.js';
