import { existsSync, unlinkSync } from 'node:fs';
import { memoizeCalibration } from '../quantize/memoize-calibration.js';
import { dirname, relative, resolve } from 'node:path';
import { readModelFile, writeModelFile, type WrittenModel } from '../node/model-files.js';
import { checkOutputFile } from '../node/output-paths.js';
import { namesNotInModel, opTypesOf } from '../ir/walk.js';
import { CALIBRATION_METADATA_KEY } from '../eval/exclude-command.js';
import { openSource } from '../node/data-sources.js';
import { integerArraysNote } from '../node/data-notes.js';
import { createNodeRunner } from '../runner/ort-node.js';
import { quantize, type QuantizeResult } from '../quantize/quantize.js';
import { MODES, WEIGHT_METHODS, optionsForOtherModes, type QuantizeMode, type QuantizeOptions, type WeightMethod } from '../quantize/options.js';
import { LOW_COSINE, RANDOM_DATA_NOTE, verifyRunners, type OutputFidelity, type VerifyLabels, type VerifyResult } from '../eval/verify.js';
import { peakMapText } from '../eval/peak-masks.js';
import { peakMaskFiles } from '../node/peak-map-files.js';
import { readLabels } from './eval-args.js';
import type { Feeds, Runner } from '../runner/runner.js';
import type { Model } from '../ir/model.js';
import type { SampleSource } from '../data/samples.js';
import { findFloat16Overflow } from '../passes/fp16/find-overflow.js';
import { writeQuantizeReport, type QuantizeReportRequest } from '../report/gather.js';
import { nodeCalibrator } from '../node/calibrator.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../calib/observers/create-observer.js';
import { createProgress, type ProgressReporter } from '../util/progress.js';
import { hasInt8DotProduct } from '../node/cpu.js';
import { LowbitError, OutputError, UsageError, errorMessage } from '../errors.js';
import { diagnosticLines, fidelityFigures, formatBytes, printJson } from './format.js';
import { floatNonFiniteText, quantizedNonFiniteText } from '../eval/fidelity-warnings.js';
import { fidelityWarning } from './quantize-advice.js';
import { parseCount } from './eval-args.js';
import { parseDims, parseList, progressLine } from './args.js';
import { dimsNote, idleDimsNote, withGeneratedInputsHint } from '../eval/inputs.js';
import { parsePreprocess } from '../data/preprocess.js';
import { int4Settings, type Int4Format, type Int4Method } from '../quantize/int4/settings.js';
import type { LayerCalibration } from '../quantize/hessians.js';
import { quantizeToTarget, type KeptNode } from '../quantize/static/target-cosine.js';
import { quantizeWhereFaster, SPEED_CHOICE_MEASURING, type ConvCost } from '../quantize/static/speed-choice.js';
import { profileNodeTimesSideBySide } from '../runner/ort-profile.js';
import { encodeModel } from '../serde/encode.js';
import { latencyRatioMeasure, latencyRatiosMeasure, outputCosineMeasure } from '../eval/output-cosine.js';
import { checkSpeed, describeSpeed, slowerThanFloatWarning, SPEED_CHECK_THREADS, type SpeedCheck } from '../eval/speed-check.js';
import { firstSample } from '../eval/first-sample.js';

/** Verification as the command reports it: fidelity, and the speed check unless --no-timing. */
type VerifyReport = VerifyResult & { note?: string; mapsNote?: string; fidelityWarning?: string; latency?: SpeedCheck & { warning?: string } };


/** What --float-where-faster chose: the Convs kept in float and the latencies it compared. */
interface SpeedChoiceReport {
  kept: ConvCost[];
  /** Timed only when some Conv was slower in int8. */
  latencyRatio?: number;
  allInt8LatencyRatio?: number;
  slowerInProfiles: number;
  mixDropped: boolean;
}

interface TargetReport {
  latencyRatio?: number;
  target: number;
  reached: boolean;
  startCosine: number;
  cosine: number;
  outputs: Record<string, number>;
  kept: KeptNode[];
}

export interface QuantizeCliOptions {
  output: string;
  mode: string;
  perTensor?: boolean;
  symmetric?: boolean;
  asymmetric?: boolean;
  reduceRange?: boolean;
  exclude?: string;
  gather?: boolean;
  keepIoTypes?: string;
  fp16Block?: string;
  data?: string;
  calib?: string;
  calibMethod?: string;
  percentile?: string;
  activations?: string;
  wideActivations?: string;
  targetCosine?: string;
  preprocess?: string;
  samples?: string;
  dim?: string;
  externalData?: boolean;
  verify: boolean;
  floatWhereFaster?: boolean;
  /** false with --no-timing. */
  timing?: boolean;
  report?: string;
  labels?: string;
  scoresOutput?: string;
  json?: boolean;
  debug?: boolean;
  blockSize?: string;
  int4Method?: string;
  weightMethod?: string;
  biasCorrection?: boolean;
  int4Format?: string;
  accuracyLevel?: string;
  gatherBits?: string;
}

export async function quantizeCommand(path: string, cli: QuantizeCliOptions): Promise<void> {
  try {
    await quantizeWithOptions(path, cli);
  } catch (error) {
    // onnxruntime failed in calibration or verification on generated inputs: say which shapes were made up.
    if (generatesInputs(cli) && error instanceof LowbitError && error.code === 'runtime-failed') throw withGeneratedInputsHint(error, readModelFile(path).model, parseDims(cli.dim));
    throw error;
  }
}

/** Whether calibration or verification runs on inputs lowbit generates (random data). */
function generatesInputs(cli: QuantizeCliOptions): boolean {
  return cli.calib === 'random' || (cli.verify !== false && (cli.data ?? cli.calib ?? 'random') === 'random');
}

async function quantizeWithOptions(path: string, cli: QuantizeCliOptions): Promise<void> {
  if (!(MODES as readonly string[]).includes(cli.mode)) throw new UsageError(`unknown mode '${cli.mode}': choose one of ${MODES.join(', ')}`, { code: 'bad-mode' });
  const options = toOptions(cli);
  checkFlagsForMode(cli, options);
  if (options.mode === 'int4') int4Settings(options, cli.calib !== undefined); // bad int4 options fail before the model is read
  const labels = verifyLabels(cli); // read before the work, so that a bad label file fails first
  const samples = parseCount('--samples', cli.samples);
  if (resolve(cli.output) === resolve(path)) throw new OutputError(`${cli.output}: refusing to overwrite the input model; choose another output path`, { code: 'output-is-input', file: cli.output });
  // Where the results go is checked before the work: a long run is not thrown away for a typo.
  checkOutputFile(cli.output, '-o');
  if (cli.report) checkOutputFile(cli.report, '--report', 'report.html');
  const dims = parseDims(cli.dim);
  parsePreprocess(cli.preprocess); // bad specs fail before any work is done
  const say = (line: string) => !cli.json || process.stderr.isTTY ? process.stderr.write(`${line}\n`) : undefined;

  const targetCosine = cli.targetCosine === undefined ? undefined : Number(cli.targetCosine);
  if (targetCosine !== undefined && (options.mode !== 'int8' || !(targetCosine > 0 && targetCosine <= 1))) {
    throw new UsageError(`--target-cosine takes a number in (0, 1] and is for --mode int8, got '${cli.targetCosine}' with --mode ${options.mode}`, { code: 'bad-option' });
  }
  if (options.wideActivations && options.mode !== 'int8') {
    throw new UsageError(`--wide-activations is for --mode int8, got --mode ${options.mode}`, { code: 'bad-option' });
  }
  const gptq = options.mode === 'int4' && options.int4Method === 'gptq';
  if (options.weightMethod !== undefined && options.mode !== 'int8' && options.mode !== 'weights-int8') {
    throw new UsageError(`--weight-method is for --mode int8 and weights-int8, got --mode ${options.mode}${options.mode === 'int4' ? ' (int4 has --int4-method)' : ''}`, { code: 'bad-option' });
  }
  const gptqWeights = options.weightMethod === 'gptq';
  if (gptqWeights && !cli.calib) throw new UsageError('--weight-method gptq needs calibration data to measure each layer\'s inputs: --calib SOURCE (a folder of .npy/.npz files or images)', { code: 'no-calibration' });
  if (options.mode !== 'int8' && !gptq && !gptqWeights && !(options.mode === 'weights-int8' && options.biasCorrection) && cli.calib) {
    throw new UsageError(`--calib is for --mode int8, --weight-method gptq, weights-int8 --bias-correction and --mode int4 --int4-method gptq (mode ${options.mode} needs no calibration; use --data for verification inputs)`, { code: 'bad-option' });
  }
  // The float model, read once and never rewritten: input shapes for the data sources, the reference
  // for the --target-cosine search. The quantizer works on a fresh read of its own.
  const float = readModelFile(path).model;
  const realSources = [cli.calib, cli.verify !== false ? cli.data : undefined].filter((s): s is string => s !== undefined && s !== 'random');
  // Said on stderr as it comes, and carried in --json's "notes" (stderr is quiet then).
  const inputNotes: string[] = [];
  // --no-verify without --calib or --report runs the model on nothing: --dim then sizes nothing.
  const runsModel = cli.verify !== false || cli.calib !== undefined || cli.report !== undefined;
  const madeUp = runsModel
    ? dimsNote(float, dims, path, { generated: generatesInputs(cli), realSource: realSources.length ? realSources.join(' and ') : undefined })
    : idleDimsNote(dims, 'with --no-verify and no --calib nothing runs it');
  if (madeUp) inputNotes.push(madeUp);
  for (const spec of new Set(realSources)) {
    const unscaled = integerArraysNote(spec, float);
    if (unscaled) inputNotes.push(unscaled);
  }
  for (const note of inputNotes) say(`note: ${note}`);
  checkNodeNames(float, '--exclude', options.exclude);
  checkNodeNames(float, '--fp16-block', options.fp16Block, true);
  const sixteenBit = options.activations === 'uint16' || options.activations === 'int16'; // no int8 kernels run: nothing saturates
  if (cli.reduceRange === undefined && (options.mode === 'int8' || options.mode === 'dynamic') && !sixteenBit && hasInt8DotProduct() === false) {
    // Without VNNI, full-range int8 weights can saturate onnxruntime's u8×s8 kernels (see node/cpu.ts).
    options.reduceRange = true;
    process.stderr.write('note: this processor has no VNNI, so weights use 7 bits (--reduce-range) and onnxruntime\'s int8 kernels cannot saturate; pass --no-reduce-range for a model that will only run on VNNI processors\n');
  }
  const whereFaster = cli.floatWhereFaster === true;
  if (whereFaster && (options.mode !== 'int8' || targetCosine !== undefined || !cli.calib)) {
    throw new UsageError(`--float-where-faster is for --mode int8 with --calib, and not with --target-cosine (got --mode ${options.mode}${targetCosine !== undefined ? ' with --target-cosine' : ''}${cli.calib ? '' : ' without --calib'})`, { code: 'bad-option' });
  }
  const search = targetCosine === undefined && !whereFaster ? undefined : { ...(targetCosine !== undefined ? { target: targetCosine } : {}), whereFaster, dims, samples, float };
  if (gptq && cli.calib) options.int4Calibration = layerCalibrationFor(cli.calib, cli, float, dims, samples, Boolean(cli.json), true);
  // Bias correction measures each layer's input means on the calibration data, as GPTQ measures
  // their statistics; the means of random inputs would only move the biases by noise.
  const biasCorrection = options.biasCorrection === true;
  if (biasCorrection && !cli.calib) throw new UsageError('--bias-correction needs calibration data to measure each layer\'s input means: --calib SOURCE (a folder of .npy/.npz files or images)', { code: 'no-calibration' });
  if (biasCorrection && cli.calib === 'random') throw new UsageError('--bias-correction needs real calibration samples (--calib FOLDER): with --calib random the biases would move by the means of noise', { code: 'bad-option' });
  if ((gptqWeights || biasCorrection) && cli.calib) options.weightCalibration = layerCalibrationFor(cli.calib, cli, float, dims, samples, Boolean(cli.json), gptqWeights);
  const calibrate = options.mode === 'int8' ? memoizeCalibration(calibratorFor(cli, float, dims, samples, Boolean(cli.json))) : undefined;
  // The verification data is opened, and its first sample read, before the work: a folder whose
  // images or arrays do not fit the model is a usage error, and not one found after writing.
  const verification = cli.verify ? await verificationSource(cli, float, dims, samples) : undefined;
  let attempt = await quantizeAndWrite(path, cli, { ...options, ...(calibrate ? { calibrate } : {}) }, say, search);
  if (!attempt) return;
  // onnxruntime 1.30 can fail to load a fused model: in silero VAD it cannot fuse the residual Adds
  // inside If branches into QLinearAdd. Keep the node it names in float with float inputs — and at
  // the first failure inside a subgraph, every Add and Mul in subgraphs — and try again (at most 3
  // times). Done with --no-verify too: it costs one model load, and an int8 file onnxruntime cannot
  // load is not a result.
  if (options.mode === 'int8') {
    let failure = await loadFailure(attempt.written.path);
    for (let retry = 0; failure && retry < 3; retry++) {
      const node = /two nodes with same node name \((.+?)\)/.exec(failure.message)?.[1];
      if (!node) break;
      const inSubgraphs = binaryOpsInSubgraphs(float);
      const widen = inSubgraphs.includes(node) && !(options.isolate ?? []).includes(inSubgraphs[0]!);
      say(`onnxruntime cannot load the fused model at node '${node}'; keeping ${widen ? 'the Adds and Muls inside subgraphs' : 'it'} in float and quantizing again`);
      options.isolate = [...new Set([...(options.isolate ?? []), ...(widen ? inSubgraphs : [node])])];
      attempt = (await quantizeAndWrite(path, cli, { ...options, ...(calibrate ? { calibrate } : {}) }, say, search))!;
      failure = await loadFailure(attempt.written.path);
    }
    if (failure) refuseOutput(attempt.written, failure);
  }
  const { loaded, result, written, target, speedChoice } = attempt;

  let verify: VerifyReport | undefined;
  /** The verification's side-by-side timings, which the report shows rather than timing again. */
  let timings: QuantizeReportRequest['latency'];
  if (cli.verify) {
    const { dataSpec, source } = verification!;
    verify = await verifyFiles(path, written, source, (done, total) => say(progressLine('verifying', done, total)), labels, float);
    const lowFidelity = fidelityWarning(verify.outputs, { ...options, ...(targetCosine !== undefined ? { targetCosine } : {}), floatWhereFaster: whereFaster, calib: cli.calib !== undefined });
    if (lowFidelity) verify.fidelityWarning = lowFidelity + movedPeaksText(verify.outputs);
    if (!dataSpec || dataSpec === 'random') verify.note = RANDOM_DATA_NOTE;
    else if (!cli.data) verify.note = 'verified on the calibration data (no --data given): held-out data would say more';
    if (options.mode === 'fp16') await refuseOverflow(loaded.model, source, written);
    if (cli.timing !== false) {
      // What it bought in speed, on this machine: a quantized model can be slower than float.
      say('timing the float and quantized models');
      const open = (file: string) => () => createNodeRunner(file, { threads: SPEED_CHECK_THREADS });
      const speed = await checkSpeed(open(path), open(written.path), await firstSample(source), [path, written.path]);
      const check = speed.check;
      timings = { ...speed.timings, inputs: `the first sample of ${source.label}`, threads: SPEED_CHECK_THREADS };
      const warning = slowerThanFloatWarning(check, options, target !== undefined);
      verify.latency = { ...check, ...(warning ? { warning } : {}) };
      if (target) target.latencyRatio = check.ratio;
    }
  }
  if (cli.report) {
    const targetMissed = target && !target.reached ? [`target cosine ${target.target} not reached: the lowest output cosine on the calibration samples ended at ${target.cosine.toFixed(5)} with ${target.kept.length} node(s) kept in float`] : [];
    await writeQuantizeReport(cli.report, {
      floatPath: path,
      quantizedPath: written.path,
      result,
      warnings: targetMissed,
      ...(verify ? { verify } : {}),
      ...(timings ? { latency: timings } : {}),
      ...(cli.data ? { data: cli.data } : {}),
      preprocess: parsePreprocess(cli.preprocess),
      dims,
      ...(samples !== undefined ? { samples } : {}),
      progress: say,
    });
    say(`wrote report ${cli.report}`);
  }
  const report = {
    mode: options.mode,
    input: { path, bytes: loaded.bytes },
    output: { path: cli.output, bytes: written.bytes + (written.externalDataBytes ?? 0), ...(written.externalDataPath ? { externalData: written.externalDataPath } : {}) },
    sizeRatio: (written.bytes + (written.externalDataBytes ?? 0)) / loaded.bytes,
    quantized: result.quantized,
    skipped: result.skipped,
    warnings: result.warnings,
    notes: [...inputNotes, ...result.notes],
    weightBytes: result.weightBytes,
    ...(target ? { targetCosine: target } : {}),
    ...(speedChoice ? { floatWhereFaster: speedChoice } : {}),
    ...(verify ? { verify } : {}),
    ...(cli.report ? { report: cli.report } : {}),
    timingsMs: result.timingsMs,
  };
  if (cli.json) printJson(report);
  else process.stdout.write(renderReport(report, result));
}

interface TargetSearch {
  /** --target-cosine; absent with --float-where-faster. */
  target?: number;
  whereFaster: boolean;
  dims: Record<string, number>;
  samples: number | undefined;
  /** The float model (not rewritten by the search). */
  float: Model;
}

/** Read, quantize and write; undefined (after saying so) when there is nothing to quantize. */
async function quantizeAndWrite(path: string, cli: QuantizeCliOptions, options: QuantizeOptions, say: (line: string) => void, search?: TargetSearch) {
  const loaded = readModelFile(path);
  say(`read ${path} (${formatBytes(loaded.bytes)})`);
  let result: QuantizeResult;
  let target: TargetReport | undefined;
  let speedChoice: SpeedChoiceReport | undefined;
  if (search?.whereFaster) {
    const source = calibrationSource(cli.calib!, cli, search.float, search.dims, search.samples);
    const feeds = await firstSample(source);
    say(`int8 where faster: profiling the float and int8 models in onnxruntime (${SPEED_CHOICE_MEASURING.threads} threads)`);
    // The float model is profiled in every round: encode it once.
    const encoded = new WeakMap<Model, Uint8Array>();
    const encodeOnce = (model: Model) => encoded.get(model) ?? encoded.set(model, encodeModel(model)).get(model)!;
    const { threads, runs, maxRuns, budgetMs, latencyRuns } = SPEED_CHOICE_MEASURING;
    const found = await quantizeWhereFaster(() => readModelFile(path).model, options, {
      profile: (models) => profileNodeTimesSideBySide(models.map(encodeOnce), feeds, { threads, runs, maxRuns, budgetMs }),
      latencyRatios: latencyRatiosMeasure(search.float, feeds, (bytes) => createNodeRunner(bytes, { threads }), latencyRuns),
      onProgress: say,
    });
    result = found.result;
    speedChoice = { kept: found.kept, ...(found.latencyRatio !== undefined ? { latencyRatio: found.latencyRatio } : {}), ...(found.allInt8LatencyRatio !== undefined ? { allInt8LatencyRatio: found.allInt8LatencyRatio } : {}), slowerInProfiles: found.slowerInProfiles, mixDropped: found.mixDropped };
    const timed = found.mixDropped
      ? `: the profiles found ${found.slowerInProfiles} slower, but the whole model with them in float timed ${found.latencyRatio!.toFixed(3)}× float's time against ${found.allInt8LatencyRatio!.toFixed(3)}× all in int8`
      : found.latencyRatio !== undefined && found.allInt8LatencyRatio !== undefined
        ? `; ${found.latencyRatio.toFixed(3)}× float's time, all int8 ${found.allInt8LatencyRatio.toFixed(3)}× (on the first calibration sample)`
        : ': every Conv is faster in int8 here';
    say(`int8 where faster: ${found.kept.length} Conv(s) kept in float${timed}`);
  } else if (search?.target !== undefined) {
    const float = search.float;
    const source = calibrationSource(cli.calib!, cli, float, search.dims, search.samples);
    const measure = await outputCosineMeasure(float, source, (bytes) => createNodeRunner(bytes));
    const timeAgainstFloat = latencyRatioMeasure(float, await firstSample(source), (bytes) => createNodeRunner(bytes, { threads: 2 }));
    const found = await quantizeToTarget(() => readModelFile(path).model, options, { target: search.target, measure, latencyRatio: timeAgainstFloat, onProgress: say });
    result = found.result;
    target = { target: search.target, reached: found.reached, startCosine: found.startCosine, cosine: found.cosine, outputs: found.outputs, kept: found.kept };
    say(`target cosine ${search.target} ${found.reached ? 'reached' : 'NOT reached'}: lowest output cosine on the calibration samples ${found.startCosine.toFixed(5)} → ${found.cosine.toFixed(5)} with ${found.kept.length} node(s) kept in float`);
  } else {
    result = await quantize(loaded.model, options);
  }
  if (result.noop) {
    const stale = existsSync(cli.output) ? ` (the ${cli.output} already there is from before and was left as it is)` : '';
    const message = `nothing to quantize in ${path} for mode ${options.mode}: ${noopReason(result)}; no output written${stale}`;
    if (cli.json) printJson({ mode: options.mode, input: { path, bytes: loaded.bytes }, output: null, quantized: 0, noop: true, message, skipped: result.skipped });
    else process.stdout.write(`${message}\n`);
    return undefined;
  }
  recordCalibration(result.model, cli);
  const written = writeModelFile(result.model, cli.output, {
    externalData: cli.externalData ? 'always' : 'auto',
    inputHadExternalData: loaded.externalFiles.length > 0,
    protect: [path, ...loaded.externalFiles],
  });
  say(`wrote ${cli.output} (${formatBytes(written.bytes + (written.externalDataBytes ?? 0))}${written.externalDataPath ? `, of which ${formatBytes(written.externalDataBytes ?? 0)} in ${written.externalDataPath}` : ''})`);
  return { loaded, result, written, target, speedChoice };
}

/**
 * The calibration flags, next to the options quantize() records: the command that eval and the
 * report print to re-quantize with more layers in float must calibrate the same way to run at all.
 */
function recordCalibration(model: Model, cli: QuantizeCliOptions): void {
  if (!cli.calib) return;
  // A folder is recorded relative to the model written, so that the re-quantize command eval
  // prints can find it from wherever eval runs (and no absolute path goes into the file).
  const flags: Record<string, string> = cli.calib === 'random' ? { calib: 'random' } : { calibFromModel: relative(dirname(resolve(cli.output)), resolve(cli.calib)) || '.' };
  if (cli.calibMethod) flags.calibMethod = cli.calibMethod;
  if (cli.percentile !== undefined) flags.percentile = cli.percentile;
  if (cli.samples !== undefined) flags.samples = cli.samples;
  if (cli.preprocess) flags.preprocess = cli.preprocess;
  if (cli.dim) flags.dim = cli.dim;
  model.setMetadata(CALIBRATION_METADATA_KEY, JSON.stringify(flags));
}

/** Names of the Add and Mul nodes inside subgraphs of the model. */
function binaryOpsInSubgraphs(model: Model): string[] {
  const names: string[] = [];
  for (const graph of model.allGraphs()) {
    if (graph.owner) for (const n of graph.nodes) if ((n.opType === 'Add' || n.opType === 'Mul') && n.name) names.push(n.name);
  }
  return names;
}

/** Why onnxruntime cannot load the model, or undefined when it loads. */
async function loadFailure(modelPath: string): Promise<Error | undefined> {
  try {
    await (await createNodeRunner(modelPath)).dispose();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

/**
 * A name in --exclude (node names or op types) or --fp16-block (op types) that matches nothing in
 * the model is a typo, and left alone the user would believe the node was kept in float: an error.
 * A name shaped like an op type (MatMul) only warns: one list serves several models.
 */
function checkNodeNames(model: Model, flag: string, names: readonly string[] | undefined, opTypesOnly = false): void {
  const unmatched = namesNotInModel(model, names ?? [], { opTypesOnly });
  const opLike = unmatched.filter((n) => /^[A-Z][A-Za-z0-9]*$/.test(n));
  // quantize() itself warns about --exclude names that match nothing; --fp16-block is the CLI's to tell.
  if (opLike.length && opTypesOnly) process.stderr.write(`warning: ${flag}: this model has no ${opLike.join(', ')} node\n`);
  const unknown = unmatched.filter((n) => !opLike.includes(n));
  if (unknown.length === 0) return;
  const what = opTypesOnly ? 'op type' : 'node name or op type';
  throw new UsageError(`${flag}: ${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length === 1 ? 'matches' : 'match'} no ${what} of this model (case-sensitive; its op types: ${opTypesOf(model).join(', ')})`, { code: 'bad-option' });
}

/** A quantized model onnxruntime cannot load is not a result: remove it and fail. */
function refuseOutput(written: WrittenModel, error: Error): never {
  removeOutputs(written);
  throw new LowbitError(`the quantized model does not load in onnxruntime, so it was removed: ${error.message}`, { code: 'output-does-not-load', cause: error });
}

/** `--labels` (with `--data`): top-1 of the float and the quantized model beside the fidelity figures. */
function verifyLabels(cli: QuantizeCliOptions): VerifyLabels | undefined {
  if (cli.labels === undefined) return undefined;
  if (!cli.verify) throw new UsageError('--labels is for verification; it cannot go with --no-verify', { code: 'bad-option' });
  if (cli.data === undefined || cli.data === 'random') throw new UsageError(`--labels needs --data with the labelled samples (one label per sample, in the order the data gives them)${cli.data === 'random' ? ', not random inputs' : ''}`, { code: 'bad-option' });
  return { labels: readLabels(cli.labels), file: cli.labels, ...(cli.scoresOutput ? { scoresOutput: cli.scoresOutput } : {}) };
}

/**
 * Run float and quantized models side by side; a quantized model that fails to load is removed and
 * reported. A copy with the peak masks' maps as outputs that fails to load costs only the maps' figures.
 */
async function verifyFiles(floatPath: string, written: WrittenModel, source: ReturnType<typeof openSource>, progress: (done: number, total: number | undefined) => void, labels: VerifyLabels | undefined, float: Model): Promise<VerifyReport> {
  // Peak masks are verified with the maps they come from, run from a copy of each model that lists
  // them as outputs (eval/map-runner.ts).
  const paths = [floatPath, written.path];
  const masks = peakMaskFiles(float, paths);
  let mapsNote: string | undefined;
  const open = (index: number) =>
    masks.open(index, {}, (error) => {
      mapsNote ??= `the peak masks were compared without their maps: ${paths[index]} with the maps as extra outputs did not load (${errorMessage(error)})`;
    });
  const reference = await open(0);
  let candidate: Runner;
  try {
    candidate = await open(1);
  } catch (error) {
    await reference.dispose();
    refuseOutput(written, error as Error);
  }
  try {
    const result = await verifyRunners(reference, candidate, source, progress, labels, masks.grids);
    // A map whose copy did not load is in one runner only, so verifyRunners left it out.
    return { ...result, outputs: masks.attach(result.outputs), ...(mapsNote ? { mapsNote } : {}) };
  } catch (error) {
    // The command fails (labels that do not match the data, say): leave no output behind.
    removeOutputs(written);
    throw error;
  } finally {
    await Promise.all([reference.dispose(), candidate.dispose()]);
  }
}

/**
 * After the low-cosine warning: the peak masks that made the same detections (peaks matched within a
 * pixel) or whose maps stayed close, so that the low figure is read right.
 */
function movedPeaksText(outputs: readonly OutputFidelity[]): string {
  const close = (o: OutputFidelity) => (o.peakMatchCosine ?? o.peakMap?.cosine ?? 0) >= LOW_COSINE;
  const moved = outputs.filter((o) => (o.peakMap || o.peakMatchCosine !== undefined) && o.cosine < LOW_COSINE && close(o));
  if (moved.length === 0) return '';
  const figures = (o: OutputFidelity) =>
    [o.peakMatchCosine !== undefined ? `peaks matched within a pixel ${o.peakMatchCosine.toFixed(4)}` : '', o.peakMap ? `its map ${o.peakMap.cosine.toFixed(4)}` : ''].filter(Boolean).join(', ');
  const list = moved.map((o) => `'${o.name}' (${figures(o)})`).join(', ');
  return `. ${list} ${moved.length === 1 ? 'is a peak mask' : 'are peak masks'} whose detections stayed close: the plain cosine counts a peak that moved by a pixel as one lost and one found`;
}

/** The --calib samples (at most --samples of them; that many generated ones for 'random', else 8). */
async function verificationSource(cli: QuantizeCliOptions, float: Model, dims: Record<string, number>, samples: number | undefined): Promise<{ dataSpec: string | undefined; source: SampleSource }> {
  const dataSpec = cli.data ?? cli.calib;
  const source = openSource(dataSpec ?? 'random', float, {
    dims,
    preprocess: parsePreprocess(cli.preprocess),
    ...(samples !== undefined ? { limit: samples } : {}),
    ...(dataSpec ? {} : { randomCount: samples ?? 4 }),
  });
  if (dataSpec && dataSpec !== 'random') await firstSample(source);
  return { dataSpec, source };
}

function calibrationSource(spec: string, cli: QuantizeCliOptions, model: Model, dims: Record<string, number>, samples: number | undefined): SampleSource {
  return openSource(spec, model, { dims, preprocess: parsePreprocess(cli.preprocess), ...(samples !== undefined ? { limit: samples } : {}), randomCount: samples ?? 8 });
}

/** int8: calibration from --calib through onnxruntime-node, with a progress line on stderr. */
function calibratorFor(cli: QuantizeCliOptions, model: Model, dims: Record<string, number>, samples: number | undefined, quiet: boolean): NonNullable<QuantizeOptions['calibrate']> {
  if (!cli.calib) throw new UsageError('--mode int8 needs calibration data: --calib SOURCE (a folder of .npy/.npz files or images, or random)', { code: 'no-calibration' });
  const method = (cli.calibMethod ?? 'minmax') as CalibrationMethod;
  if (!CALIBRATION_METHODS.includes(method)) throw new UsageError(`--calib-method must be one of ${CALIBRATION_METHODS.join(', ')}, got '${cli.calibMethod}'`, { code: 'bad-option' });
  const percentile = cli.percentile === undefined ? undefined : Number(cli.percentile);
  if (cli.calib === 'random') process.stderr.write('warning: calibrating on random inputs: activation ranges will not match real data; give real samples with --calib\n');
  const source = calibrationSource(cli.calib, cli, model, dims, samples);
  const progress = createProgress({ label: 'calibrating', stream: process.stderr, silent: quiet && !process.stderr.isTTY });
  const calibrate = nodeCalibrator(source, {
    method,
    ...(percentile !== undefined ? { percentile } : {}),
    ...(samples !== undefined ? { maxSamples: samples } : {}),
    onProgress: (p) => progress.update(p.done, p.total, { ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}), ...(p.groups && p.groups > 1 ? { note: `group ${p.group}/${p.groups}` } : {}) }),
  });
  // The last state gets its own line (on a terminal, the line ends), so what follows does not run into it.
  return async (model, tensors) => {
    try {
      return await calibrate(model, tensors);
    } finally {
      progress.finish();
    }
  };
}

/**
 * gptq (int4, and int8 weights) and int8's bias correction: each layer's input statistics from
 * --calib through onnxruntime-node, with a progress line per phase.
 */
function layerCalibrationFor(spec: string, cli: QuantizeCliOptions, model: Model, dims: Record<string, number>, samples: number | undefined, quiet: boolean, gptqRounds: boolean): LayerCalibration {
  if (spec === 'random' && gptqRounds) process.stderr.write('warning: GPTQ on random inputs: the Hessians will not match real data; give real samples with --calib\n');
  const source = calibrationSource(spec, cli, model, dims, samples);
  // One line per phase: GPTQ's passes (the samples of the current pass, each pass measuring the
  // inputs of a group of layers, and the layers rounded so far), then bias correction's one pass.
  // --target-cosine and --float-where-faster quantize many times, each with its own bias-correction
  // pass: only the first gets a line, the searches report their own progress.
  let roundingDone = !gptqRounds;
  let biasPasses = 0;
  let progress: ProgressReporter | undefined;
  let open = false;
  const bar = () => {
    if (!open) {
      const silent = (quiet && !process.stderr.isTTY) || (roundingDone && biasPasses > 0);
      progress = createProgress({ label: roundingDone ? 'bias correction: measuring layer inputs,' : 'gptq: measuring layer inputs,', stream: process.stderr, silent });
      open = true;
    }
    return progress!;
  };
  const close = () => {
    progress?.finish();
    if (roundingDone) biasPasses++;
    open = false;
  };
  let layers = '';
  let last = { done: 0, total: undefined as number | undefined };
  return {
    source,
    createRunner: (bytes) => createNodeRunner(bytes),
    ...(samples !== undefined ? { maxSamples: samples } : {}),
    onProgress: (p) => {
      last = { done: p.done, total: p.total };
      bar().update(p.done, p.total, { ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}), ...(layers ? { note: layers } : {}) });
      if (roundingDone && p.final) close();
    },
    onLayer: (done, total) => {
      layers = `${done}/${total} layers rounded`;
      bar().update(last.done, last.total, { note: layers });
      if (done === total) {
        close();
        roundingDone = true;
        layers = '';
      }
    },
  };
}

/**
 * fp16 verification: onnxruntime's CPU build computes fp16 ops in float32 between Casts, so an
 * overflow hides from the outputs; look at every fp16 value instead, on the first sample.
 */
async function refuseOverflow(model: Model, source: SampleSource, written: WrittenModel): Promise<void> {
  let first: Feeds | undefined;
  for await (const feeds of source.samples()) {
    first = feeds;
    break;
  }
  if (!first) return;
  const overflow = await findFloat16Overflow(model, first, (bytes) => createNodeRunner(bytes, { optimization: 'disabled' }));
  if (!overflow) return;
  removeOutputs(written);
  throw new LowbitError(
    `verification failed: ${overflow.opType} '${overflow.node}' produces ${overflow.infinities} infinite and ${overflow.nans} NaN values in float16 (output '${overflow.output}'); the output was removed. Keep it in float32 with --exclude ${overflow.node} (or --fp16-block ${overflow.opType})`,
    { code: 'fp16-overflow', node: overflow.node, opType: overflow.opType },
  );
}

function removeOutputs(written: WrittenModel): void {
  for (const file of [written.path, written.externalDataPath]) if (file && existsSync(file)) unlinkSync(file);
}

/**
 * Flags the mode does not read (the library's OPTION_MODES, plus the calibration flags only the
 * CLI has): given with another mode they would be ignored without a word.
 */
function checkFlagsForMode(cli: QuantizeCliOptions, options: QuantizeOptions): void {
  const mode = options.mode;
  const flagOf = (key: string) => (key === 'symmetric' ? '--symmetric/--asymmetric' : `--${key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`);
  const misplaced: [string, readonly string[]][] = [
    ...(mode !== 'int8' ? (['calibMethod', 'percentile'] as const).filter((key) => cli[key] !== undefined).map((key) => [flagOf(key), ['int8']] as [string, string[]]) : []),
    ...optionsForOtherModes(options).map(([key, modes]): [string, readonly string[]] => [flagOf(key), modes]),
  ];
  if (misplaced.length) {
    throw new UsageError(misplaced.map(([flag, modes]) => `${flag} is for --mode ${modes.join(', ')}`).join('; ') + `, not ${mode}`, { code: 'bad-option' });
  }
  if (cli.percentile !== undefined && !(Number(cli.percentile) > 0 && Number(cli.percentile) <= 100)) {
    throw new UsageError(`--percentile must be a number in (0, 100], got '${cli.percentile}'`, { code: 'bad-option' });
  }
  if (cli.percentile !== undefined && cli.calibMethod !== 'percentile') {
    throw new UsageError(`--percentile sets the percentile of --calib-method percentile; the method here is ${cli.calibMethod ?? 'minmax (the default)'}`, { code: 'bad-option' });
  }
}

function toOptions(cli: QuantizeCliOptions): QuantizeOptions {
  if (cli.symmetric && cli.asymmetric) throw new UsageError('--symmetric and --asymmetric contradict each other', { code: 'bad-option' });
  let keepIoTypes: boolean | undefined;
  if (cli.keepIoTypes !== undefined) {
    if (!['true', 'false'].includes(cli.keepIoTypes)) throw new UsageError(`--keep-io-types takes true or false, got '${cli.keepIoTypes}'`, { code: 'bad-option' });
    keepIoTypes = cli.keepIoTypes === 'true';
  }
  return {
    mode: cli.mode as QuantizeMode,
    ...(cli.perTensor ? { perTensor: true } : {}),
    ...(cli.asymmetric ? { symmetric: false } : cli.symmetric ? { symmetric: true } : {}),
    ...(cli.reduceRange !== undefined ? { reduceRange: cli.reduceRange } : {}),
    ...(cli.exclude ? { exclude: parseList(cli.exclude) } : {}),
    ...(cli.gather !== undefined ? { gather: cli.gather } : {}),
    ...(keepIoTypes !== undefined ? { keepIoTypes } : {}),
    ...(cli.fp16Block ? { fp16Block: parseList(cli.fp16Block) } : {}),
    ...(cli.debug ? { debug: true } : {}),
    ...(cli.activations ? { activations: activationType(cli.activations) } : {}),
    ...(cli.wideActivations !== undefined ? { wideActivations: tensorNames('--wide-activations', cli.wideActivations) } : {}),
    ...(cli.weightMethod !== undefined ? { weightMethod: weightMethod(cli.weightMethod) } : {}),
    ...(cli.biasCorrection ? { biasCorrection: true } : {}),
    ...int4Options(cli),
  };
}

/** The int4 flags as options; their values are checked by int4Settings. */
function int4Options(cli: QuantizeCliOptions): Partial<QuantizeOptions> {
  const int = (flag: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value)) throw new UsageError(`${flag} takes a whole number, got '${text}'`, { code: 'bad-option' });
    return value;
  };
  const blockSize = int('--block-size', cli.blockSize);
  const accuracyLevel = int('--accuracy-level', cli.accuracyLevel);
  const gatherBits = int('--gather-bits', cli.gatherBits);
  return {
    ...(blockSize !== undefined ? { blockSize } : {}),
    ...(cli.int4Method !== undefined ? { int4Method: cli.int4Method as Int4Method } : {}),
    ...(cli.int4Format !== undefined ? { int4Format: cli.int4Format as Int4Format } : {}),
    ...(accuracyLevel !== undefined ? { accuracyLevel } : {}),
    ...(gatherBits !== undefined ? { gatherBits: gatherBits as 4 | 8 } : {}),
  };
}

/** A comma-separated list that must name at least one tensor. */
function tensorNames(flag: string, text: string): string[] {
  const names = parseList(text);
  if (names.length === 0) throw new UsageError(`${flag} needs at least one tensor name (comma-separated), got '${text}'`, { code: 'bad-option' });
  return names;
}

function weightMethod(text: string): WeightMethod {
  if ((WEIGHT_METHODS as readonly string[]).includes(text)) return text as WeightMethod;
  throw new UsageError(`--weight-method must be one of ${WEIGHT_METHODS.join(', ')}, got '${text}'`, { code: 'bad-option' });
}

function activationType(text: string): 'uint8' | 'int8' | 'uint16' | 'int16' {
  if (text === 'uint8' || text === 'int8' || text === 'uint16' || text === 'int16') return text;
  throw new UsageError(`--activations must be uint8, int8, uint16 or int16, got '${text}'`, { code: 'bad-option' });
}

function noopReason(result: QuantizeResult): string {
  if (result.noopReason) return result.noopReason;
  const counts = new Map<string, number>();
  for (const d of result.skipped) counts.set(d.code, (counts.get(d.code) ?? 0) + 1);
  if (counts.size === 0) return 'the model has no op this mode rewrites';
  const first = result.skipped[0]!;
  const example = `${first.opType ?? ''} '${first.node ?? ''}': ${first.reason}`;
  return `${[...counts].map(([code, n]) => `${n} node(s) ${code}`).join(', ')} (e.g. ${example})`;
}

interface Report {
  mode: string;
  input: { path: string; bytes: number };
  output: { path: string; bytes: number };
  sizeRatio: number;
  quantized: number;
  verify?: VerifyReport;
}

function renderReport(report: Report, result: QuantizeResult): string {
  const lines: string[] = [];
  lines.push(`${report.mode}: ${result.quantized} node(s) quantized; ${report.input.path} ${formatBytes(report.input.bytes)} → ${report.output.path} ${formatBytes(report.output.bytes)} (${report.sizeRatio.toFixed(3)}×)`);
  for (const note of result.notes) lines.push(`note: ${note}`);
  if (report.sizeRatio > 1.01) lines.push(`warning: the output is larger than the input (${report.sizeRatio.toFixed(3)}×): little of this model is what mode ${report.mode} shrinks${result.skipped.length ? '; see what was left in float below' : ''}`);
  lines.push(...diagnosticLines(result.warnings));
  if (result.skipped.length) {
    lines.push(`left in float (${result.skipped.length}):`);
    for (const d of result.skipped.slice(0, 20)) lines.push(`  ${d.opType ?? ''} '${d.node ?? ''}': ${d.reason}`);
    if (result.skipped.length > 20) lines.push(`  … ${result.skipped.length - 20} more (use --json for the full list)`);
  }
  if (report.verify) {
    lines.push(`verification on ${report.verify.samples} sample(s) from ${report.verify.source}:`);
    for (const o of report.verify.outputs) lines.push(`  ${o.name}: ${fidelityFigures(o)}${peakMapText(o)}`);
    for (const warning of [floatNonFiniteText(report.verify.outputs), quantizedNonFiniteText(report.verify.outputs)]) if (warning) lines.push(`  warning: ${warning}`);
    const accuracy = report.verify.accuracy;
    if (accuracy) {
      const top1 = (a: typeof accuracy.float) => `${(a.top1 * 100).toFixed(2)}% (${a.correctTop1}/${a.labelled})`;
      const delta = (accuracy.quantized.top1 - accuracy.float.top1) * 100;
      lines.push(`  top-1 on the labels, output '${accuracy.float.output}': float ${top1(accuracy.float)}, quantized ${top1(accuracy.quantized)} (${delta >= 0 ? '+' : ''}${delta.toFixed(2)} points)`);
    }
    if (report.verify.note) lines.push(`  (${report.verify.note})`);
    if (report.verify.mapsNote) lines.push(`  (${report.verify.mapsNote})`);
    if (report.verify.fidelityWarning) lines.push(`warning: ${report.verify.fidelityWarning}`);
    const latency = report.verify.latency;
    if (latency) lines.push(`  ${describeSpeed(latency)}`);
    if (latency?.warning) lines.push(`warning: ${latency.warning}`);
  }
  return `${lines.join('\n')}\n`;
}
