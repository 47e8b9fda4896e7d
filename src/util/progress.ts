/** Where progress goes: process.stderr in the CLI. Only `write` and `isTTY` are used. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  /** What is being done: "calibrating", "verifying". */
  label: string;
  /** What is counted (default "samples"). */
  unit?: string;
  /** Required unless silent; this module does not reach for process.stderr itself (it runs in browsers too). */
  stream?: ProgressStream;
  /** Print nothing (--json, or a caller that reports its own way). */
  silent?: boolean;
  /** Least time between lines when the stream is not a terminal (default 5 s); a terminal redraws at most 10 times a second. */
  intervalMs?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

export interface ProgressUpdate {
  /** Time left, when the caller knows better than the rate so far (e.g. several passes). */
  etaSeconds?: number;
  /** Extra words after the count, e.g. "group 2/3". */
  note?: string;
}

export interface ProgressReporter {
  update(done: number, total?: number, extra?: ProgressUpdate): void;
  /** Print the last state (on a terminal, end the line in place); later updates are ignored. */
  finish(message?: string): void;
}

const TTY_INTERVAL_MS = 100;

/**
 * A progress line on stderr: on a terminal one line rewritten in place ("calibrating 120/500
 * samples · 0:42 left"), in a log a line every few seconds, so that CI logs stay short but show the
 * work is alive. Time left comes from the rate so far unless the caller gives it.
 */
export function createProgress(options: ProgressOptions): ProgressReporter {
  const now = options.now ?? (() => performance.now());
  const stream = options.stream;
  const silent = options.silent === true || stream === undefined;
  const tty = stream?.isTTY === true;
  const interval = tty ? TTY_INTERVAL_MS : (options.intervalMs ?? 5000);
  const started = now();
  let lastWrite = -Infinity;
  let last = '';
  let finished = false;

  const write = (line: string, final: boolean) => {
    if (silent) return;
    if (tty) stream!.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
    else stream!.write(`${line}\n`);
  };

  return {
    update(done, total, extra = {}) {
      if (finished) return;
      const eta = extra.etaSeconds ?? estimateSeconds(now() - started, done, total);
      last = progressLine(options.label, done, total, options.unit ?? 'samples', eta, extra.note);
      const t = now();
      if (t - lastWrite < interval) return;
      lastWrite = t;
      write(last, false);
    },
    finish(message) {
      if (finished) return;
      finished = true;
      const line = message ?? last;
      if (line) write(line, true);
    },
  };
}

/** "calibrating 120/500 samples · group 2/3 · 0:42 left". */
export function progressLine(label: string, done: number, total: number | undefined, unit: string, etaSeconds?: number, note?: string): string {
  const counted = done === 1 && total === undefined && unit.endsWith('s') ? unit.slice(0, -1) : unit; // "1 sample"
  const parts = [`${label} ${done}${total !== undefined ? `/${total}` : ''} ${counted}`];
  if (note) parts.push(note);
  if (etaSeconds !== undefined && Number.isFinite(etaSeconds) && total !== undefined && done < total) parts.push(`${formatDuration(etaSeconds)} left`);
  return parts.join(' · ');
}

/** 42 → "0:42", 3725 → "1:02:05". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

function estimateSeconds(elapsedMs: number, done: number, total: number | undefined): number | undefined {
  if (total === undefined || done <= 0) return undefined;
  return (elapsedMs / 1000 / done) * Math.max(0, total - done);
}
