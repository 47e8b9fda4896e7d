import * as ort from 'onnxruntime-node';
import type { Runner, RunnerOptions } from './runner.js';
import { createSessionRunner, type OrtModule } from './ort-session-runner.js';

/** onnxruntime-node: `source` is a path (external data is found next to it) or the model's bytes. */
export function createNodeRunner(source: string | Uint8Array, options: RunnerOptions = {}): Promise<Runner> {
  return createSessionRunner(ort as unknown as OrtModule, source, options, 'onnxruntime');
}
