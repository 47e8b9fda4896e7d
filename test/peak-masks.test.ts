// Peak masks (an output that keeps a map's local maxima, as mlsd's scores): found in the graph, and
// `lowbit quantize` (verification) and `lowbit eval` compare them beside the map they come from.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attr } from '../src/ir/attribute.js';
import { GraphBuilder } from '../src/ir/builder.js';
import { DataType } from '../src/ir/dtype.js';
import { float32Tensor, int64Tensor } from '../src/ir/tensor/values.js';
import { encodeModel } from '../src/serde/encode.js';
import { attachPeakMaps, peakMaskGrids, peakMaskMaps } from '../src/eval/peak-masks.js';
import type { VerifyResult } from '../src/eval/verify.js';
import { gatherQuantizeReport } from '../src/report/gather.js';
import { outputCosineMeasure } from '../src/eval/output-cosine.js';
import { openSource } from '../src/node/data-sources.js';
import { createNodeRunner } from '../src/runner/ort-node.js';
import { lowbit } from './helpers/cli.js';
import { randomFloats } from './helpers/ort.js';
import { tempDir } from './helpers/temp-dir.js';

const work = tempDir('peak-masks');

/** x (64 channels) → Conv 3×3 → Sigmoid = heat; peaks = heat · (heat == MaxPool₃ₓ₃(heat)); and the Conv's raw output `raw`. */
function detector(withMask = true) {
  const b = new GraphBuilder(17);
  const x = b.input('x', DataType.FLOAT, [1, 64, 24, 24]);
  const conv = b.op('Conv', [x, b.initializer('w', float32Tensor([2, 64, 3, 3], randomFloats(2 * 64 * 9, 7, 0.1))), b.initializer('bias', float32Tensor([2], [0.1, -0.2]))], { name: 'conv', attributes: { pads: attr.ints([1, 1, 1, 1]) } });
  const heat = b.op('Sigmoid', [conv], { name: 'heat' });
  if (withMask) {
    const pooled = b.op('MaxPool', [heat], { name: 'nms', attributes: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } });
    const keep = b.op('Cast', [b.op('Equal', [heat, pooled], { name: 'is_peak' })], { name: 'keep', attributes: { to: attr.int(DataType.FLOAT) } });
    b.output(b.op('Mul', [heat, keep], { name: 'peaks' }), DataType.FLOAT, [1, 2, 24, 24]);
  }
  b.output(b.op('Relu', [conv], { name: 'raw' }), DataType.FLOAT, [1, 2, 24, 24]);
  return { model: b.model, heat: heat.name };
}

/**
 * mlsd's form: heat [1, C, 6, 8] is reshaped (or transposed) to channels-last before the comparison
 * and the product, and its MaxPool reshaped alike: scores = map · (map == reshape(MaxPool(heat))).
 */
function channelsLastDetector(channels: number, move: 'Reshape' | 'Transpose') {
  const b = new GraphBuilder(17);
  const x = b.input('x', DataType.FLOAT, [1, 4, 6, 8]);
  const conv = b.op('Conv', [x, b.initializer('w', float32Tensor([channels, 4, 3, 3], randomFloats(channels * 36, 3, 0.3)))], { name: 'conv', attributes: { pads: attr.ints([1, 1, 1, 1]) } });
  const heat = b.op('Sigmoid', [conv], { name: 'heat' });
  const pooled = b.op('MaxPool', [heat], { name: 'nms', attributes: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } });
  const shape = b.initializer('last', int64Tensor([4], [1, 6, 8, channels]));
  const lastOf = (v: typeof heat, name: string) => (move === 'Reshape' ? b.op('Reshape', [v, shape], { name }) : b.op('Transpose', [v], { name, attributes: { perm: attr.ints([0, 2, 3, 1]) } }));
  const map = lastOf(heat, 'map');
  const keep = b.op('Cast', [b.op('Equal', [map, lastOf(pooled, 'pooled_last')], { name: 'is_peak' })], { name: 'keep', attributes: { to: attr.int(DataType.FLOAT) } });
  b.output(b.op('Mul', [map, keep], { name: 'scores' }), DataType.FLOAT, [1, 6, 8, channels]);
  return b.model;
}

describe('peak masks', () => {
  it('an output made from a value compared with its own MaxPool is a mask of that value; other outputs are not', () => {
    const { model, heat } = detector();
    const peaks = model.graph.outputs[0]!.name;
    expect([...peakMaskMaps(model)]).toEqual([[peaks, heat]]);
    expect(peakMaskMaps(detector(false).model).size).toBe(0);
  });

  it('a mask\'s grid is its map\'s height and width where the element order is the pooled map\'s, and the model is left as it was', () => {
    const { model } = detector();
    const bytes = encodeModel(model);
    expect([...peakMaskGrids(model, peakMaskMaps(model))]).toEqual([[model.graph.outputs[0]!.name, { height: 24, width: 24 }]]);
    expect(encodeModel(model)).toEqual(bytes);
    // mlsd's form: reshaped to channels-last, element order kept.
    const reshaped = channelsLastDetector(1, 'Reshape');
    expect([...peakMaskGrids(reshaped, peakMaskMaps(reshaped)).values()]).toEqual([{ height: 6, width: 8 }]);
    // Transposed with two channels, the elements are reordered: no grid, so no tolerant figure.
    const transposed = channelsLastDetector(2, 'Transpose');
    expect(peakMaskMaps(transposed).size).toBe(1);
    expect(peakMaskGrids(transposed, peakMaskMaps(transposed)).size).toBe(0);
  });

  it('the library exports what verification of a peak mask takes (README: four calls)', async () => {
    const lowbitApi = await import('../src/index.js');
    expect([lowbitApi.peakMaskMaps, lowbitApi.encodeWithMaps, lowbitApi.withMapOutputs, lowbitApi.attachPeakMaps].map((f) => typeof f)).toEqual(['function', 'function', 'function', 'function']);
    const { model, heat } = detector();
    const outputs = model.graph.outputs.map((o) => o.name);
    const maps = lowbitApi.peakMaskMaps(model);
    const bytes = lowbitApi.encodeWithMaps(model, maps)!;
    expect(lowbitApi.decodeModel(bytes).graph.outputs.map((o) => o.name)).toEqual([...outputs, heat]);
    // The model itself is left as it was, and one without the map's value gives no bytes.
    expect(model.graph.outputs.map((o) => o.name)).toEqual(outputs);
    expect(lowbitApi.encodeWithMaps(model, new Map([[outputs[0]!, 'no_such_value']]))).toBeUndefined();
  });

  it('verification figures: the map moves onto its mask as peakMap and leaves the outputs', () => {
    const figures = (name: string, cosine: number) => ({ name, cosine, sqnrDb: 20, maxAbsError: 0.1, meanAbsError: 0.01, nonFinite: 0, referenceNonFinite: 0 });
    const result: VerifyResult = { samples: 2, source: 'test', outputs: [figures('peaks', 0.6), figures('raw', 0.99), figures('heat_map', 0.995)] };
    const attached = attachPeakMaps(result.outputs, new Map([['peaks', 'heat_map']]));
    expect(attached.map((o) => o.name)).toEqual(['peaks', 'raw']);
    expect(attached[0]!.peakMap).toEqual({ name: 'heat_map', cosine: 0.995, sqnrDb: 20 });
    expect(attached[1]!.peakMap).toBeUndefined();
  });

  it('the --target-cosine measure returns the map under its own name, beside every output, and leaves the models as they were', async () => {
    const { model, heat } = detector();
    const outputs = model.graph.outputs.map((o) => o.name);
    const measure = await outputCosineMeasure(model, openSource('random', model, { randomCount: 2 }), (bytes) => createNodeRunner(bytes));
    const cosines = await measure(model);
    expect(Object.keys(cosines).sort()).toEqual([...outputs, heat].sort());
    for (const c of Object.values(cosines)) expect(c).toBeCloseTo(1, 6);
    expect(model.graph.outputs.map((o) => o.name)).toEqual(outputs);
  });

  it('lowbit quantize and lowbit eval report the map beside the mask, in text and in --json', () => {
    const { model, heat } = detector();
    const path = join(work, 'detector.onnx');
    writeFileSync(path, encodeModel(model));
    const text = lowbit(['quantize', path, '-o', join(work, 'detector.int8.onnx'), '--mode', 'int8', '--calib', 'random', '--no-timing']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`peaks_out: cosine [0-9.]+ .*\\(the local maxima of '${heat}', whose cosine is [0-9.]+`));
    const json = lowbit(['quantize', path, '-o', join(work, 'detector.int8.onnx'), '--mode', 'int8', '--calib', 'random', '--no-timing', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const outputs = JSON.parse(json.stdout).verify.outputs as { name: string; cosine: number; peakMap?: { name: string; cosine: number }; peakMatchCosine?: number }[];
    expect(outputs.map((o) => o.name)).toEqual(model.graph.outputs.map((o) => o.name));
    const mask = outputs.find((o) => o.peakMap)!;
    expect(mask.peakMap!.name).toBe(heat);
    // The map is a Sigmoid of an int8 Conv: close to float, whatever its peaks do.
    expect(mask.peakMap!.cosine).toBeGreaterThan(0.98);
    expect(outputs.filter((o) => o.peakMap)).toHaveLength(1);
    // Peaks matched within a pixel: never below the plain cosine, at most 1.
    expect(text.stdout).toMatch(/peaks matched within a pixel: cosine [0-9.]+\)/);
    expect(mask.peakMatchCosine).toBeGreaterThanOrEqual(mask.cosine - 1e-12);
    expect(mask.peakMatchCosine).toBeLessThanOrEqual(1 + 1e-12);
    expect(outputs.filter((o) => o.peakMatchCosine !== undefined).map((o) => o.name)).toEqual([mask.name]);

    // lowbit eval against the float model: the same figures, in text and --json.
    const evalArgs = ['eval', join(work, 'detector.int8.onnx'), '--reference', path, '--data', 'random', '--samples', '4'];
    const evalText = lowbit(evalArgs);
    expect(evalText.code, evalText.stderr).toBe(0);
    expect(evalText.stdout).toMatch(new RegExp(`vs reference, peaks_out: cosine [0-9.]+ .*\\(the local maxima of '${heat}', whose cosine is [0-9.]+`));
    const evalJson = lowbit([...evalArgs, '--json']);
    expect(evalJson.code, evalJson.stderr).toBe(0);
    const fidelity = JSON.parse(evalJson.stdout).models[0].fidelity as typeof outputs;
    expect(fidelity.map((o) => o.name)).toEqual(model.graph.outputs.map((o) => o.name));
    expect(fidelity.find((o) => o.name === 'peaks_out')!.peakMap!.name).toBe(heat);
    expect(evalText.stdout).toMatch(/vs reference, peaks_out: .*peaks matched within a pixel: cosine [0-9.]+\)/);
    expect(fidelity.find((o) => o.name === 'peaks_out')!.peakMatchCosine).toBeGreaterThanOrEqual(fidelity.find((o) => o.name === 'peaks_out')!.cosine - 1e-12);
  });

  it('a model written with external data is verified without the maps (inlining could pass 2 GB), and says its figures as usual', () => {
    const { model } = detector();
    const path = join(work, 'detector-external.onnx');
    writeFileSync(path, encodeModel(model));
    const r = lowbit(['quantize', path, '-o', join(work, 'detector-external.int8.onnx'), '--mode', 'int8', '--calib', 'random', '--no-timing', '--external-data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    // The int8 weight (1152 bytes) is past the writer's 1 KB threshold: it went to the .data file.
    expect(existsSync(join(work, 'detector-external.int8.onnx.data'))).toBe(true);
    const outputs = JSON.parse(r.stdout).verify.outputs as { name: string; peakMap?: unknown }[];
    expect(outputs.map((o) => o.name)).toEqual(model.graph.outputs.map((o) => o.name));
    expect(outputs.every((o) => o.peakMap === undefined)).toBe(true);
  });

  it('the HTML report shows the map under its mask, from quantize\'s verification or compared by the report itself', async () => {
    const { model, heat } = detector();
    const path = join(work, 'detector-report.onnx');
    writeFileSync(path, encodeModel(model));
    const quantized = join(work, 'detector-report.int8.onnx');
    const report = join(work, 'detector.html');
    const r = lowbit(['quantize', path, '-o', quantized, '--mode', 'int8', '--calib', 'random', '--no-timing', '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(report, 'utf8')).toContain(`the local maxima of <code>${heat}</code>, whose cosine is`);
    expect(readFileSync(report, 'utf8')).toMatch(/peaks matched within a pixel: cosine [0-9.]+/);
    // The library's report without a verification to reuse runs the comparison itself.
    const data = await gatherQuantizeReport({ floatPath: path, quantizedPath: quantized, result: { mode: 'int8', skipped: [], warnings: [], notes: [] }, samples: 2, benchRuns: 1, perLayerSamples: 1 });
    const masks = data.fidelity!.outputs.filter((o) => o.peakMap);
    expect(masks.map((o) => [o.name, o.peakMap!.name])).toEqual([[model.graph.outputs[0]!.name, heat]]);
    expect(masks[0]!.peakMatchCosine).toBeGreaterThanOrEqual(masks[0]!.cosine - 1e-12);
    expect(data.fidelity!.outputs.map((o) => o.name)).toEqual(model.graph.outputs.map((o) => o.name));
  });
});
