import { readModelFile, writeModelFile, type ExternalDataMode } from '../node/model-files.js';
import { formatBytes, printJson } from './format.js';

interface ConvertOptions {
  output: string;
  externalData?: boolean;
  inlineData?: boolean;
  json?: boolean;
}

export async function convertCommand(path: string, options: ConvertOptions): Promise<void> {
  const loaded = readModelFile(path);
  const mode: ExternalDataMode = options.externalData ? 'always' : options.inlineData ? 'never' : 'auto';
  const written = writeModelFile(loaded.model, options.output, {
    externalData: mode,
    inputHadExternalData: loaded.externalFiles.length > 0,
    protect: [path, ...loaded.externalFiles],
  });
  const result = {
    input: { path, bytes: loaded.bytes },
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
  process.stdout.write(`wrote ${options.output} (${formatBytes(written.bytes)})${ext}\n`);
}
