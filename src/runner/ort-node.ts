import * as ort from 'onnxruntime-node';
import { LowbitError } from '../errors.js';
import { readModelFile } from '../node/model-files.js';
import type { Runner, RunnerOptions } from './runner.js';
import { createSessionRunner, type OrtModule } from './ort-session-runner.js';

/**
 * onnxruntime-node: `source` is a path (external data is found next to it) or the model's bytes.
 * A file onnxruntime cannot load is read by lowbit's own decoder first, whose errors say what is
 * wrong with the file (empty, truncated, not ONNX) in one line; a file that decodes keeps
 * onnxruntime's reason, on one line.
 */
export async function createNodeRunner(source: string | Uint8Array, options: RunnerOptions = {}): Promise<Runner> {
  try {
    return await createSessionRunner(ort as unknown as OrtModule, source, options, 'onnxruntime');
  } catch (error) {
    if (typeof source !== 'string' || !(error instanceof LowbitError) || error.code !== 'runtime-load-failed') throw error;
    readModelFile(source);
    throw new LowbitError(error.message.replace(/\s*\n\s*/g, ' ').trim(), { code: error.code, file: source, cause: error.cause });
  }
}
