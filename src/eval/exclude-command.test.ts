import { describe, expect, it } from 'vitest';
import { excludeCommand, shellWord } from './exclude-command.js';

describe('excludeCommand', () => {
  it('repeats the recorded mode and options and adds to the existing --exclude', () => {
    const metadata: [string, string][] = [
      ['lowbit.mode', 'weights-int8'],
      ['lowbit.options', JSON.stringify({ exclude: ['Gemm'], mode: 'weights-int8', perTensor: true, symmetric: false })],
    ];
    expect(excludeCommand({ exclude: ['/stage1/conv/Conv', 'Gemm'], floatPath: 'in.onnx', quantizedPath: 'out dir/q.onnx', metadata })).toBe(
      "lowbit quantize in.onnx -o 'out dir/q.onnx' --mode weights-int8 --per-tensor --asymmetric --exclude Gemm,/stage1/conv/Conv",
    );
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
