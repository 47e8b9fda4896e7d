import { describe, expect, it } from 'vitest';
import { attr } from '../../../ir/attribute.js';
import { DataType } from '../../../ir/dtype.js';
import { DenseTensor } from '../../../ir/tensor/dense.js';
import { GraphBuilder } from '../../../ir/builder.js';
import { decodeModel } from '../../../serde/decode.js';
import { encodeModel } from '../../../serde/encode.js';
import { convertOpset } from '../convert-opset.js';
import { expectEquivalent, expectRefused, expectSameOutputs, floatFeed, opTypes, run } from '../../../../test/helpers/opset-equivalence.js';

const scales = (values: number[]) => DenseTensor.fromTyped(DataType.FLOAT, [values.length], Float32Array.from(values));

describe('Upsample to Resize', () => {
  for (const mode of ['nearest', 'linear']) {
    it(`keeps ${mode} Upsample-7 (scales attribute) through Resize-10 and Resize-11+`, async () => {
      const models = await expectEquivalent({
        from: 7,
        targets: [9, 10, 11, 13, 21],
        feeds: { x: floatFeed([1, 2, 3, 4], 1) },
        build(b) {
          const x = b.input('x', DataType.FLOAT, [1, 2, 3, 4]);
          b.output(b.op('Upsample', [x], { outputs: ['y'], attributes: { mode: attr.string(mode), scales: attr.floats([1, 1, 2.5, 1.75]) } }), DataType.FLOAT);
        },
      });
      expect(opTypes(models.get(9)!)).toEqual(['Upsample']);
      const resize = [...models.get(13)!.graph.nodes][0]!;
      expect(resize.opType).toBe('Resize');
      expect(resize.attrString('coordinate_transformation_mode')).toBe('asymmetric');
      expect(resize.attrString('nearest_mode')).toBe(mode === 'nearest' ? 'floor' : undefined);
      expect(resize.inputs.map((v) => (v ? 'v' : '-')).join('')).toBe('v-v');
      expect([...models.get(11)!.graph.nodes][0]!.input(1)!.constTensor()!.dims).toEqual([0]);
    });
  }

  it('converts Upsample-9 with a scales input computed at run time', async () => {
    await expectEquivalent({
      from: 9,
      targets: [10, 11, 13, 21],
      feeds: { x: floatFeed([1, 1, 3, 3], 2), s: { dtype: DataType.FLOAT, dims: [4], data: Float32Array.of(1, 1, 3, 2) } },
      build(b) {
        const x = b.input('x', DataType.FLOAT, [1, 1, 3, 3]);
        const s = b.input('s', DataType.FLOAT, [4]);
        b.output(b.op('Upsample', [x, b.op('Identity', [s])], { outputs: ['y'] }), DataType.FLOAT);
      },
    });
  });

  it('refuses a mode Upsample does not have', () => {
    expectRefused(
      9,
      (b) => b.output(b.op('Upsample', [b.input('x', DataType.FLOAT, [1, 1, 2, 2]), b.initializer('s', scales([1, 1, 2, 2]))], { attributes: { mode: attr.string('cubic') } })),
      13,
      /Upsample changed at opset 10: Upsample has no mode 'cubic'/,
    );
  });
});

describe('deprecated ops still used after their deprecation', () => {
  it('replaces Upsample in an opset 10 model, which onnxruntime does not load, by Resize', async () => {
    const b = new GraphBuilder(9);
    const x = b.input('x', DataType.FLOAT, [1, 2, 3, 3]);
    b.output(b.op('Upsample', [x, b.initializer('s', scales([1, 1, 2, 1.5]))], { outputs: ['y'] }), DataType.FLOAT);
    const feeds = { x: floatFeed([1, 2, 3, 3], 3) };
    const expected = await run(encodeModel(b.model), feeds);
    b.model.opsetImports.set('', 10);
    const atTen = encodeModel(b.model);
    await expect(run(atTen, feeds)).rejects.toThrow(/deprecated/);
    for (const target of [11, 13, 21]) {
      const model = decodeModel(atTen);
      expect(convertOpset(model, target).converted).toBe(1);
      expect(opTypes(model)).toEqual(['Resize']);
      expectSameOutputs(await run(encodeModel(model), feeds), expected, 'bits', `Upsample at 10 → ${target}`);
    }
  });
});
