// Shared by the calibration benchmarks: a generated conv stack with large activations, a sample
// source that makes each sample on demand (so the source holds nothing), the tensors a quantizer
// would observe, and process memory readings.
import { readFileSync } from 'node:fs';
import { GraphBuilder, DataType, float32Tensor, attr, inferTypes } from '../dist/index.js';

/** `layers` × (Conv k×k C→C + Relu) on 1×C×H×H. */
export function convStack({ channels = 64, size = 256, layers = 6, kernel = 1 } = {}) {
  const b = new GraphBuilder(13);
  let h = b.input('x', DataType.FLOAT, [1, channels, size, size]);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const pad = (kernel - 1) / 2;
  for (let i = 0; i < layers; i++) {
    const w = b.initializer(`w${i}`, float32Tensor([channels, channels, kernel, kernel], Float32Array.from({ length: channels * channels * kernel * kernel }, () => rand() / Math.sqrt(channels * kernel * kernel))));
    const bias = b.initializer(`b${i}`, float32Tensor([channels], Float32Array.from({ length: channels }, () => rand() * 0.1)));
    h = b.op('Relu', [b.op('Conv', [h, w, bias], { name: `conv${i}`, attributes: { pads: attr.ints([pad, pad, pad, pad]) } })], { name: `relu${i}` });
  }
  b.output(h, DataType.FLOAT, [1, channels, size, size]);
  return b.model;
}

/** `count` samples for a one-input float model, made one at a time (cheap LCG), nothing kept. */
export function generatedSource(inputName, dims, count, { lo = -1, hi = 1 } = {}) {
  const length = dims.reduce((a, b) => a * b, 1);
  return {
    label: `${count} generated samples`,
    size: count,
    async *samples() {
      for (let i = 0; i < count; i++) {
        const data = new Float32Array(length);
        let s = (i * 2654435761) >>> 0;
        for (let j = 0; j < length; j++) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          data[j] = lo + (s / 4294967296) * (hi - lo);
        }
        yield { [inputName]: { dtype: DataType.FLOAT, dims, data } };
      }
    },
  };
}

/** Float outputs of the given op types, plus the float graph inputs: what the quantizer observes. */
export function observedTensors(model, opTypes) {
  inferTypes(model);
  const isFloat = (v) => v?.type?.kind === 'tensor' && v.type.elemType === DataType.FLOAT;
  const inputs = model.graph.inputs.filter((v) => !v.initializer && isFloat(v)).map((v) => v.name);
  const outputs = [...model.graph.nodes].filter((n) => opTypes.includes(n.opType)).map((n) => n.outputs[0]).filter(isFloat).map((v) => v.name);
  return [...inputs, ...outputs];
}

/** The kernel's peak resident set of this process (VmHWM), in bytes. */
export function peakRss() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** RSS read every `ms` on the event loop; `stop()` returns the largest reading. */
export function sampleRss(ms = 20) {
  let max = process.memoryUsage().rss;
  const timer = setInterval(() => (max = Math.max(max, process.memoryUsage().rss)), ms);
  return { stop: () => (clearInterval(timer), Math.max(max, process.memoryUsage().rss)) };
}
