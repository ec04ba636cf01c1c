/**
 * A small progress bar for training on stderr: one redrawn line on a terminal, plain lines (at most one every
 * `plainInterval` seconds) when stderr is a file or a pipe, so CI logs stay readable. No dependencies.
 */

/** What the bar shows; any field may be missing early in a run. */
export interface ProgressState {
  /** The run's global step (counting the steps of earlier sessions when resumed). */
  step: number;
  /** The run's total steps. */
  total: number;
  /** The global step this session started from (a resumed run's checkpoint step); default 0. */
  startStep?: number;
  /** Environment steps per second of this session; ignored when `seconds` is given. */
  fps?: number;
  /** Wall-clock seconds of this session so far: fps is then (step - startStep) / seconds. */
  seconds?: number;
  /** Mean return of recent episodes. */
  meanReturn?: number;
  /** Standard deviation of those returns, shown as `mean +- std`. */
  returnStd?: number;
  episodes?: number;
  /** The algorithm's own figures, in order (DQN: eps, loss; policy gradient: entropy, losses). */
  fields?: readonly ProgressFieldValue[];
}

/** One algorithm figure on the progress line: `label value`, `value` to `digits` decimals (`-` when missing). */
export interface ProgressFieldValue {
  label: string;
  value: number | undefined;
  digits: number;
}

/** Options of `progressBar()`. */
export interface ProgressOptions {
  stream?: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean; columns?: number };
  /** Force the terminal form (true) or plain lines (false); default from `stream.isTTY`. */
  tty?: boolean;
  /** Seconds between redraws on a terminal. Default 0.1. */
  redrawInterval?: number;
  /** Seconds between plain lines. Default 5. */
  plainInterval?: number;
  /** Text before the bar, e.g. `dqn CartPole-v1`. */
  label?: string;
}

/** A progress display: `update()` as often as you like; it throttles itself. `done()` ends the line. */
export interface ProgressBar {
  update(state: ProgressState): void;
  /** Prints a message on its own line without breaking the bar. */
  log(message: string): void;
  done(state?: ProgressState): void;
}

function fmt(n: number | undefined, digits: number): string {
  return n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

/** A loss-like figure: `digits` decimals, or 2-digit exponent form when that would hide it or run long. */
function fmtLoss(n: number | undefined, digits = 4): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return n !== 0 && (Math.abs(n) < 10 ** (1 - digits) || Math.abs(n) >= 1e4) ? n.toExponential(2) : n.toFixed(digits);
}

/** A return for people: one decimal (500.0, -85.7), three where one would hide it (0.976, not 1.0). */
export function fmtReturn(x: number): string {
  return x.toFixed(returnDigits(Math.abs(x)));
}

function returnDigits(magnitude: number): number {
  return magnitude >= 10 || magnitude === 0 ? 1 : 3;
}

/**
 * `mean +- std` with both to the same decimals, picked by the larger of the two as `fmtReturn` picks them:
 * `-110.3 +- 9.0`, `0.976 +- 0.012` (never `-110.3 +- 8.994`).
 */
export function fmtMeanStd(mean: number, std: number): string {
  if (!Number.isFinite(mean)) return '-';
  if (!Number.isFinite(std)) return `${fmtReturn(mean)} +- -`;
  const digits = returnDigits(Math.max(Math.abs(mean), Math.abs(std)));
  return `${mean.toFixed(digits)} +- ${std.toFixed(digits)}`;
}

/** `1 episode`, `10 episodes`: a count with its noun, plural unless the count is exactly 1. */
export function plural(count: number, noun: string): string {
  return `${count} ${count === 1 ? noun : `${noun}s`}`;
}

/** What `progressLine` shows: the run's global position plus where this session began. */
export interface SessionProgress {
  /** The run's global step. */
  step: number;
  /** The run's total steps. */
  totalSteps: number;
  /** The global step this session started from (0 for a fresh run, the checkpoint's step when resumed). */
  startStep?: number;
  /** Steps per second of this session; ignored when `seconds` is given. */
  fps?: number;
  /** Wall-clock seconds of this session so far; fps is then this session's steps over them. */
  seconds?: number;
  meanReturn?: number;
  returnStd?: number;
  episodes?: number;
  fields?: readonly ProgressFieldValue[];
}

/**
 * One progress line for a fresh or a resumed run: the global step out of the run's total (a resumed run says
 * where it resumed), and an fps over this session's steps only, `-` until this session has stepped. A step
 * past the total (resumed from a checkpoint beyond a smaller total) is said so, never shown as "60000/50000".
 */
export function progressLine(p: SessionProgress): string {
  const start = p.startStep ?? 0;
  const sessionSteps = p.step - start;
  const fps = p.seconds !== undefined ? (p.seconds > 0 && sessionSteps > 0 ? sessionSteps / p.seconds : undefined) : sessionSteps > 0 ? p.fps : undefined;
  let position: string;
  if (p.totalSteps > 0 && p.step > p.totalSteps) {
    position = `${p.step} steps (past the run's total of ${p.totalSteps})`;
  } else {
    const pct = p.totalSteps > 0 ? Math.min(100, (100 * p.step) / p.totalSteps) : 0;
    // Floor, so that 99.6% does not read 100% before the last step.
    position = `${p.step}/${p.totalSteps} (${Math.floor(pct)}%${start > 0 ? `, resumed at ${start}` : ''})`;
  }
  const ret = p.meanReturn === undefined ? '-' : p.returnStd !== undefined ? fmtMeanStd(p.meanReturn, p.returnStd) : fmt(p.meanReturn, 1);
  return [
    position,
    `fps ${fmt(fps, 0)}`,
    `return ${ret}`,
    ...(p.fields ?? []).map((f) => `${f.label} ${f.digits >= 4 ? fmtLoss(f.value, f.digits) : fmt(f.value, f.digits)}`),
    ...(p.episodes !== undefined ? [`ep ${p.episodes}`] : []),
  ].join('  ');
}

/** The text of one progress line (without the bar), for both forms. */
export function describeProgress(s: ProgressState): string {
  const { total, ...rest } = s;
  return progressLine({ ...rest, totalSteps: total });
}

/** Creates a progress bar on `options.stream` (default process.stderr). */
export function progressBar(options: ProgressOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const redraw = (options.redrawInterval ?? 0.1) * 1000;
  const plain = (options.plainInterval ?? 5) * 1000;
  const label = options.label ? `${options.label} ` : '';
  let last = -Infinity;
  let drawn = false;
  let lastState: ProgressState | undefined;

  const draw = (s: ProgressState): void => {
    const text = describeProgress(s);
    if (tty) {
      const cols = (stream as { columns?: number }).columns ?? 100;
      const width = Math.max(10, Math.min(30, cols - label.length - text.length - 4));
      const filled = s.total > 0 ? Math.round((width * Math.min(s.step, s.total)) / s.total) : 0;
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
      stream.write(`\r\x1b[2K${label}${bar} ${text}`.slice(0, cols + 12));
      drawn = true;
    } else {
      stream.write(`${label}${text}\n`);
    }
  };

  return {
    update(s) {
      lastState = s;
      const now = Date.now();
      if (now - last < (tty ? redraw : plain)) return;
      last = now;
      draw(s);
    },
    log(message) {
      if (tty && drawn) stream.write('\r\x1b[2K');
      stream.write(`${message}\n`);
      if (tty && lastState) draw(lastState);
    },
    done(s) {
      const final = s ?? lastState;
      if (final) draw(final);
      if (tty && drawn) stream.write('\n');
    },
  };
}
