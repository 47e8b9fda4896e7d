import { readModelFile, writeModelFile, type ExternalDataMode } from '../node/model-files.js';
import { checkOutputFile } from '../node/output-paths.js';
import { formatBytes, printJson } from './format.js';
import { convertToFloat32 } from '../passes/to-fp32/convert-to-float32.js';
import { formatDiagnostic } from '../diagnostics.js';
import { UsageError } from '../errors.js';

interface ConvertOptions {
  output: string;
  to?: string;
  externalData?: boolean;
  inlineData?: boolean;
  json?: boolean;
}

export async function convertCommand(path: string, options: ConvertOptions): Promise<void> {
  if (options.to !== undefined && options.to !== 'fp32') throw new UsageError(`--to takes fp32, got '${options.to}'`, { code: 'bad-option' });
  checkOutputFile(options.output, '-o');
  const loaded = readModelFile(path);
  const conversion = options.to === 'fp32' ? convertToFloat32(loaded.model) : undefined;
  const mode: ExternalDataMode = options.externalData ? 'always' : options.inlineData ? 'never' : 'auto';
  const written = writeModelFile(loaded.model, options.output, {
    externalData: mode,
    inputHadExternalData: loaded.externalFiles.length > 0,
    protect: [path, ...loaded.externalFiles],
  });
  const result = {
    input: { path, bytes: loaded.bytes },
    ...(conversion ? { to: 'fp32', converted: conversion.converted, notes: conversion.notes } : {}),
    output: {
      path: options.output,
      bytes: written.bytes,
      ...(written.externalDataPath ? { externalData: { path: written.externalDataPath, bytes: written.externalDataBytes } } : {}),
    },
  };
  if (options.json) {
    printJson(result);
    return;
  }
  const ext = written.externalDataPath ? ` + ${written.externalDataPath} (${formatBytes(written.externalDataBytes!)})` : '';
  if (conversion) {
    process.stdout.write(`fp32: ${conversion.converted} quantized form(s) or float16 tensor(s) turned into float32\n`);
    for (const note of conversion.notes.filter((n) => n.severity !== 'info')) process.stdout.write(`${formatDiagnostic(note)}\n`);
  }
  process.stdout.write(`wrote ${options.output} (${formatBytes(written.bytes)})${ext}\n`);
}
