import { describe, expect, it } from 'vitest';
import { CALIBRATION_METADATA_KEY, excludeCommand, excludedOutputPath, shellWord } from './exclude-command.js';

describe('excludeCommand', () => {
  it('repeats the recorded mode and options and adds to the existing --exclude', () => {
    const metadata: [string, string][] = [
      ['lowbit.mode', 'weights-int8'],
      ['lowbit.options', JSON.stringify({ exclude: ['Gemm'], mode: 'weights-int8', perTensor: true, symmetric: false })],
    ];
    expect(excludeCommand({ exclude: ['/stage1/conv/Conv', 'Gemm'], floatPath: 'in.onnx', quantizedPath: 'out dir/q.onnx', metadata })).toBe(
      "lowbit quantize in.onnx -o 'out dir/q-excluded.onnx' --mode weights-int8 --per-tensor --asymmetric --exclude Gemm,/stage1/conv/Conv",
    );
  });

  it('for static int8, repeats the calibration the CLI recorded, so that the command runs as printed', () => {
    const metadata: [string, string][] = [
      ['lowbit.mode', 'int8'],
      ['lowbit.options', JSON.stringify({ activations: 'uint8', mode: 'int8', reduceRange: true, wideActivations: ['t1', 't2'], weightMethod: 'gptq' })],
      [CALIBRATION_METADATA_KEY, JSON.stringify({ calib: 'my photos/', calibMethod: 'entropy', preprocess: 'mean=0.5,std=1', samples: '20' })],
    ];
    expect(excludeCommand({ exclude: ['Conv_7'], floatPath: 'f.onnx', quantizedPath: 'q.onnx', metadata })).toBe(
      "lowbit quantize f.onnx -o q-excluded.onnx --mode int8 --calib 'my photos/' --calib-method entropy --samples 20 --preprocess mean=0.5,std=1 --reduce-range --wide-activations t1,t2 --weight-method gptq --exclude Conv_7",
    );
  });

  it('finds a calibration folder recorded relative to the model from where the command is printed, and never writes over the model compared', () => {
    const metadata: [string, string][] = [
      ['lowbit.mode', 'int8'],
      ['lowbit.options', JSON.stringify({ mode: 'int8' })],
      [CALIBRATION_METADATA_KEY, JSON.stringify({ calibFromModel: '../calib', calibMethod: 'entropy' })],
    ];
    const locate = (fromModel: string) => `models/${fromModel}`; // as locateFrom('models/q.int8.onnx') gives it from the parent folder
    expect(excludeCommand({ exclude: ['c'], floatPath: 'f.onnx', quantizedPath: 'models/q.int8.onnx', metadata, locate })).toBe(
      'lowbit quantize f.onnx -o models/q.int8-excluded.onnx --mode int8 --calib models/../calib --calib-method entropy --exclude c',
    );
    expect(excludedOutputPath('model')).toBe('model-excluded.onnx');
  });

  it('gives only the --exclude part for a model another tool made, and nothing for no names', () => {
    expect(excludeCommand({ exclude: ['a b', 'c'], floatPath: 'f', quantizedPath: 'q', metadata: [['producer', 'onnx.quantize']] })).toBe("--exclude 'a b,c'");
    expect(excludeCommand({ exclude: [], floatPath: 'f', quantizedPath: 'q', metadata: [] })).toBeUndefined();
  });

  it('quotes words for the shell only when needed', () => {
    expect(shellWord('/a/b-c_d.e:1')).toBe('/a/b-c_d.e:1');
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
  });
});
