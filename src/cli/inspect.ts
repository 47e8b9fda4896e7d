import { readModelFile } from '../node/model-files.js';
import { summarizeModel, type IOSummary, type ModelSummary } from '../inspect/summary.js';
import { parseCount } from './eval-args.js';
import { formatBytes, formatCount, printJson, table } from './format.js';

interface InspectOptions {
  json?: boolean;
  top: string;
}

export async function inspectCommand(path: string, options: InspectOptions): Promise<void> {
  const top = parseCount('--top', options.top, 0)!;
  const loaded = readModelFile(path);
  const summary = summarizeModel(loaded.model, top);
  if (options.json) printJson({ file: { path, bytes: loaded.bytes }, ...summary });
  else process.stdout.write(`${renderSummary(path, loaded.bytes, summary)}\n`);
}

function io(list: IOSummary[]): string[][] {
  return [['name', 'dtype', 'shape'], ...list.map((v) => [v.name, v.dtype, v.shape ? `[${v.shape.join(', ')}]` : '?'])];
}

export function renderSummary(path: string, bytes: number, s: ModelSummary): string {
  const lines: string[] = [];
  const producer = s.producer.name ? `${s.producer.name}${s.producer.version ? ` ${s.producer.version}` : ''}` : 'unknown';
  lines.push(`${path}  (${formatBytes(bytes)})`);
  lines.push(`producer: ${producer}   IR version: ${s.irVersion}   opsets: ${Object.entries(s.opsets).map(([d, v]) => `${d} ${v}`).join(', ')}`);
  for (const [key, value] of Object.entries(s.metadata)) lines.push(`metadata ${key}: ${value}`);
  lines.push(`nodes: ${formatCount(s.nodes)}   subgraphs: ${s.subgraphs}   functions: ${s.functions}   parameters: ${formatCount(s.parameters)}`);
  lines.push('', 'inputs:', table(io(s.inputs)), '', 'outputs:', table(io(s.outputs)));
  lines.push('', 'ops:', table([['op', 'count'], ...Object.entries(s.ops).map(([op, n]) => [op, String(n)])]));
  lines.push('', 'bytes by dtype:', table([['dtype', 'bytes'], ...Object.entries(s.bytesByDtype).map(([d, b]) => [d, formatBytes(b)])]));
  if (s.largestTensors.length) {
    lines.push('', 'largest tensors:', table([['name', 'dtype', 'shape', 'bytes'], ...s.largestTensors.map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`, formatBytes(t.bytes)])]));
  }
  const ext = s.externalData;
  lines.push('', `external data: ${ext.used ? `${ext.tensors} tensors, ${formatBytes(ext.bytes)} in ${ext.files.join(', ')}` : 'none'}`);
  if (Object.keys(s.quantizedOps).length) {
    lines.push(`already quantized: ${Object.entries(s.quantizedOps).map(([op, n]) => `${op} ×${n}`).join(', ')}`);
  }
  const q = s.quantizable;
  const weights = Object.entries(q.weightOps).map(([op, n]) => `${op} ×${n}`).join(', ') || 'none';
  lines.push('', 'what quantization would touch:');
  lines.push(`  weights-int8 / int8: ${weights}`);
  lines.push(`  dynamic:             ${q.dynamicOps} MatMul/Gemm with constant weights`);
  lines.push(`  int4:                ${q.int4MatMuls} MatMul with a constant 2-D weight`);
  lines.push(`  fp16:                ${q.floatTensors} float tensors, ${formatBytes(q.floatBytes)}`);
  return lines.join('\n');
}
