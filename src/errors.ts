// Errors are typed and name what is at fault (file, node, op, offset) so that the CLI can print one
// clear line and library callers can branch on `code`.

export interface ErrorContext {
  code?: string;
  file?: string;
  node?: string;
  opType?: string;
  tensor?: string;
  offset?: number;
  cause?: unknown;
}

export class LowbitError extends Error {
  readonly code: string;
  readonly file: string | undefined;
  readonly node: string | undefined;
  readonly opType: string | undefined;
  readonly tensor: string | undefined;
  readonly offset: number | undefined;

  constructor(message: string, context: ErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.code = context.code ?? 'error';
    this.file = context.file;
    this.node = context.node;
    this.opType = context.opType;
    this.tensor = context.tensor;
    this.offset = context.offset;
  }
}

/** The bytes are not a valid ONNX model (empty, truncated, not protobuf, missing parts). */
export class ModelFormatError extends LowbitError {}

/** External tensor data is missing, too short, or points outside the model's folder. */
export class ExternalDataError extends LowbitError {}

/** The graph breaks a structural rule (undefined input, order, duplicate name, missing opset). */
export class GraphCheckError extends LowbitError {
  constructor(
    message: string,
    readonly diagnostics: readonly import('./diagnostics.js').Diagnostic[],
    context: ErrorContext = {},
  ) {
    super(message, { code: 'invalid-graph', ...context });
  }
}

/** The command line or options are wrong: the CLI exits with 2. */
export class UsageError extends LowbitError {}

/** Writing the output failed or would be unsafe (same path as input, unwritable folder). */
export class OutputError extends LowbitError {}

/** A pass or the runtime failed on a specific node. */
export class PassError extends LowbitError {}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
