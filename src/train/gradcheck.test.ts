import { describe, expect, it } from 'vitest';
import { seededRandom } from '../util/random.js';
import { computeLoss } from './loss.js';
import { Net } from './net.js';
import type { LayerSpec, ModelSpec } from './spec.js';

// Every layer's reverse-mode gradient against central finite differences of a scalar objective
// L = Σ r·y (r random), for the input and for every parameter. Kernels compute in float32, so the
// step is 1e-2 and inputs keep away from the kinks of ReLU and max-pooling by more than the step.

const H = 1e-2;

interface Case {
  name: string;
  spec: ModelSpec;
  n: number;
  /** Inputs spaced apart (no two within 2·H, none within 2·H of 0): kinks are never crossed. */
  spaced?: boolean;
}

const CASES: Case[] = [
  { name: 'Conv2d 5×5, pad 2', spec: { input: [1, 8, 8], layers: [{ type: 'conv2d', out: 3, kernel: 5, pad: 2 }] }, n: 2 },
  { name: 'Conv2d 3×3, stride 2, 2 channels in', spec: { input: [2, 7, 7], layers: [{ type: 'conv2d', out: 4, kernel: 3, stride: 2, pad: 1 }] }, n: 3 },
  { name: 'Conv2d 5×5, no padding (LeNet conv2 shape, smaller)', spec: { input: [6, 9, 9], layers: [{ type: 'conv2d', out: 5, kernel: 5 }] }, n: 2 },
  { name: 'MaxPool2d 2×2', spec: { input: [2, 6, 6], layers: [{ type: 'maxpool2d', kernel: 2 }] }, n: 2, spaced: true },
  { name: 'MaxPool2d 3×3 stride 2 (overlapping windows)', spec: { input: [1, 7, 7], layers: [{ type: 'maxpool2d', kernel: 3, stride: 2 }] }, n: 2, spaced: true },
  { name: 'ReLU', spec: { input: [3, 4, 4], layers: [{ type: 'relu' }] }, n: 2, spaced: true },
  { name: 'Flatten', spec: { input: [2, 3, 3], layers: [{ type: 'flatten' }] }, n: 2 },
  { name: 'Linear', spec: { input: [12], layers: [{ type: 'linear', out: 7 }] }, n: 5 },
  { name: 'BatchNorm2d (batch statistics)', spec: { input: [3, 4, 4], layers: [{ type: 'batchnorm2d' }] }, n: 4 },
];

function randomInput(count: number, rand: () => number, spaced: boolean): Float32Array {
  if (!spaced) return Float32Array.from({ length: count }, () => rand() * 2 - 1);
  // Distinct values 0.05 apart, shuffled, none near 0.
  const values = Array.from({ length: count }, (_, i) => (i - count / 2 + 0.5) * 0.05);
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return Float32Array.from(values);
}

/** L = Σ r·y in float64. */
function objective(net: Net, x: Float32Array, n: number, r: Float32Array): number {
  const y = net.forward(x, n, true);
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i]! * y[i]!;
  return s;
}

function expectClose(numeric: number, analytic: number, what: string): void {
  expect(Math.abs(numeric - analytic), `${what}: finite differences ${numeric}, backward ${analytic}`).toBeLessThanOrEqual(2e-3 + 2e-3 * Math.abs(analytic));
}

describe('reverse-mode gradients match finite differences', () => {
  it.each(CASES)('$name', ({ spec, n, spaced }) => {
    const rand = seededRandom(42);
    const net = new Net(spec).init(7);
    // Non-trivial batch-norm parameters and biases, so that every term of the gradient shows.
    for (let i = 0; i < net.params.length; i++) net.params[i] = net.params[i]! + (rand() - 0.5) * 0.4;
    const x = randomInput(n * net.inputSize, rand, spaced ?? false);
    const r = Float32Array.from({ length: n * net.outputSize }, () => rand() * 2 - 1);
    net.zeroGrads();
    objective(net, x, n, r);
    const dx = Float32Array.from(net.backward(r, n, true)!.subarray(0, x.length));
    const grads = Float32Array.from(net.grads);

    for (let i = 0; i < x.length; i++) {
      const keep = x[i]!;
      x[i] = keep + H;
      const up = objective(net, x, n, r);
      x[i] = keep - H;
      const down = objective(net, x, n, r);
      x[i] = keep;
      expectClose((up - down) / (2 * H), dx[i]!, `dL/dx[${i}]`);
    }
    for (const e of net.paramEntries) {
      for (let k = 0; k < e.length; k++) {
        const i = e.offset + k;
        const keep = net.params[i]!;
        net.params[i] = keep + H;
        const up = objective(net, x, n, r);
        net.params[i] = keep - H;
        const down = objective(net, x, n, r);
        net.params[i] = keep;
        expectClose((up - down) / (2 * H), grads[i]!, `dL/d${e.layer}.${e.name}[${k}]`);
      }
    }
  });

  it('softmax cross-entropy: dL/dlogits = softmax − onehot, scaled by 1/batch', () => {
    const rand = seededRandom(3);
    const n = 4;
    const classes = 10;
    const logits = Float32Array.from({ length: n * classes }, () => (rand() * 2 - 1) * 3);
    const labels = Int32Array.from([3, 0, 9, 5]);
    const d = new Float32Array(n * classes);
    const meanLoss = (z: Float32Array) => computeLoss({ type: 'cross-entropy' }, z, labels, n, classes, new Float32Array(n * classes), 1 / n).lossSum / n;
    computeLoss({ type: 'cross-entropy' }, logits, labels, n, classes, d, 1 / n);
    for (let i = 0; i < logits.length; i++) {
      const keep = logits[i]!;
      logits[i] = keep + H;
      const up = meanLoss(logits);
      logits[i] = keep - H;
      const down = meanLoss(logits);
      logits[i] = keep;
      expect(Math.abs((up - down) / (2 * H) - d[i]!)).toBeLessThan(1e-4);
    }
  });

  it('the whole seed LeNet (a sample of its parameters) with softmax cross-entropy', () => {
    const spec: ModelSpec = {
      input: [1, 28, 28],
      layers: [
        { type: 'conv2d', out: 6, kernel: 5, pad: 2 },
        { type: 'relu' },
        { type: 'maxpool2d', kernel: 2 },
        { type: 'conv2d', out: 16, kernel: 5 },
        { type: 'relu' },
        { type: 'maxpool2d', kernel: 2 },
        { type: 'flatten' },
        { type: 'linear', out: 120 },
        { type: 'relu' },
        { type: 'linear', out: 84 },
        { type: 'relu' },
        { type: 'linear', out: 10 },
      ] satisfies LayerSpec[],
    };
    const rand = seededRandom(9);
    const net = new Net(spec).init(5);
    const n = 2;
    const x = Float32Array.from({ length: n * 784 }, () => rand());
    const labels = Int32Array.from([4, 7]);
    // Which side of every ReLU and which winner of every pooling window: the piece of the
    // piecewise-smooth network the point is on. Finite differences are only valid within one piece.
    const piece = () =>
      net.layers
        .map((l) => {
          const buffer = (l as unknown as { argmax?: Int32Array; out?: Float32Array }).argmax ?? (l.spec.type === 'relu' ? (l as unknown as { out: Float32Array }).out : undefined);
          return buffer ? Array.from(buffer.subarray(0, n * l.outShape.reduce((a, b) => a * b, 1)), (v) => (l.spec.type === 'relu' ? (v > 0 ? 1 : 0) : v)).join() : '';
        })
        .join('|');
    const loss = () => {
      const z = net.forward(x, n, true);
      return { value: computeLoss({ type: 'cross-entropy' }, z, labels, n, 10, new Float32Array(n * 10), 1 / n).lossSum / n, piece: piece() };
    };
    net.zeroGrads();
    const z = net.forward(x, n, true);
    const base = piece();
    const d = new Float32Array(n * 10);
    computeLoss({ type: 'cross-entropy' }, z, labels, n, 10, d, 1 / n);
    net.backward(d, n);
    const grads = Float32Array.from(net.grads);
    const h = 1e-2;
    let checked = 0;
    for (const e of net.paramEntries) {
      for (let t = 0; t < 16; t++) {
        const i = e.offset + Math.floor(rand() * e.length);
        const keep = net.params[i]!;
        net.params[i] = keep + h;
        const up = loss();
        net.params[i] = keep - h;
        const down = loss();
        net.params[i] = keep;
        if (up.piece !== base || down.piece !== base) continue; // a kink was crossed: no verdict
        expectClose((up.value - down.value) / (2 * h), grads[i]!, `dL/d${e.layer}.${e.name}[${i - e.offset}]`);
        checked++;
      }
    }
    expect(checked, 'parameters whose perturbation stayed on one piece').toBeGreaterThan(80);
  });
});
