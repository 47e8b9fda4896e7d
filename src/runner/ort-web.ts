import * as ort from 'onnxruntime-web';
import type { Runner, RunnerOptions } from './runner.js';
import { createSessionRunner, type OrtModule } from './ort-session-runner.js';

/**
 * onnxruntime-web (WebAssembly CPU backend): what a web page runs. Under Node it loads its Node
 * build, which is how the tests check that lowbit's outputs load in the web runtime.
 */
export function createWebRunner(model: Uint8Array, options: RunnerOptions = {}): Promise<Runner> {
  // One thread: the web build's threads need cross-origin isolation in a browser.
  ort.env.wasm.numThreads = options.threads ?? 1;
  return createSessionRunner(ort as unknown as OrtModule, model, { ...options, threads: 0 }, 'onnxruntime-web');
}
