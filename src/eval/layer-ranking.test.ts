import { describe, expect, it } from 'vitest';
import { addedSqnrDb, noiseRatio, noiseToSqnrDb, rankLayers, suggestExclude, type LayerFidelity } from './layer-ranking.js';

function layer(node: string, order: number, inputSqnrDb: number, sqnrDb: number, opType = 'Conv', quantized = true): LayerFidelity {
  return { value: `${node}_out`, node, opType, order, quantized, sqnrDb, inputSqnrDb, addedSqnrDb: addedSqnrDb(noiseRatio(sqnrDb), noiseRatio(inputSqnrDb)), cosine: 1, maxAbsError: 0 };
}

describe('noise arithmetic', () => {
  it('turns SQNR into noise power and back', () => {
    expect(noiseRatio(20)).toBeCloseTo(0.01, 15);
    expect(noiseRatio(Infinity)).toBe(0);
    expect(noiseToSqnrDb(0.001)).toBeCloseTo(30, 12);
    expect(noiseToSqnrDb(0)).toBe(Infinity);
  });

  it('measures what a node adds on top of its input', () => {
    expect(addedSqnrDb(noiseRatio(40), 0)).toBeCloseTo(40, 12); // exact inputs: all the noise is the node's
    expect(addedSqnrDb(0.02, 0.01)).toBeCloseTo(20, 12); // noise doubled: it added 0.01
    expect(addedSqnrDb(0.01, 0.02)).toBe(Infinity); // less noise out than in: none of its own seen
    expect(addedSqnrDb(Infinity, Infinity)).toBe(-Infinity);
  });
});

describe('rankLayers', () => {
  it('puts the most added noise first, then the lowest SQNR, then graph order', () => {
    const ranked = rankLayers([layer('a', 0, Infinity, 40), layer('b', 1, 40, 5), layer('c', 2, 5, 5), layer('d', 3, 5, 4.9)]);
    expect(ranked.map((l) => l.node)).toEqual(['b', 'd', 'a', 'c']); // d adds 0.0074 (21 dB) on top of a noisy input
  });

  it('ranks the layers quantization rewrote before those it left alone, however much noise those pass on', () => {
    const ranked = rankLayers([layer('relu', 0, 40, 10, 'Relu', false), layer('conv', 1, 40, 30)]);
    expect(ranked.map((l) => l.node)).toEqual(['conv', 'relu']);
  });
});

describe('suggestExclude', () => {
  const healthy = [layer('c0', 0, Infinity, 45), layer('r0', 1, 45, 44, 'Relu', false), layer('c1', 2, 44, 42), layer('c2', 3, 42, 40), layer('c3', 4, 40, 39)];

  it('names a layer that adds far more noise than the typical one and dominates its own error', () => {
    const broken = [...healthy.slice(0, 3), layer('c2', 3, 42, 5), layer('c3', 4, 5, 4.6), layer('fc', 5, 4.6, 4.5, 'MatMul')];
    const s = suggestExclude(broken);
    expect(s.exclude).toEqual(['c2']); // c3 and fc add little on top of c2's noise
    expect(s.reason).toMatch(/^1 quantized layer\(s\)/);
  });

  it('names nothing when the loss is spread evenly, and nothing that quantization did not rewrite', () => {
    expect(suggestExclude(healthy).exclude).toEqual([]);
    const noisyRelu = [...healthy, layer('r9', 9, 40, 1, 'Relu', false)];
    expect(suggestExclude(noisyRelu).exclude).toEqual([]);
  });

  it('lists unnamed outliers by value, since --exclude cannot name them', () => {
    const s = suggestExclude([...healthy, { ...layer('', 9, 39, 2), value: 'v9' }]);
    expect(s.exclude).toEqual([]);
    expect(s.unnamed).toEqual(['v9']);
  });
});
