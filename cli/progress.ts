/**
 * A small progress bar for training on stderr: one redrawn line on a terminal, plain lines (at most one every
 * `plainInterval` seconds) when stderr is a file or a pipe, so CI logs stay readable. No dependencies.
 */

/** What the bar shows; any field may be missing early in a run. */
export interface ProgressState {
  step: number;
  total: number;
  /** Environment steps per second. */
  fps?: number;
  /** Mean return of recent episodes. */
  meanReturn?: number;
  episodes?: number;
  epsilon?: number;
  loss?: number;
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

function fmtLoss(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return n !== 0 && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e4) ? n.toExponential(2) : n.toFixed(4);
}

/** A return for people: one decimal (500.0, -85.7), three where one would hide it (0.976, not 1.0). */
export function fmtReturn(x: number): string {
  return Math.abs(x) >= 10 || x === 0 ? x.toFixed(1) : x.toFixed(3);
}

/** The text of one progress line (without the bar), for both forms. */
export function describeProgress(s: ProgressState): string {
  const pct = s.total > 0 ? Math.min(100, (100 * s.step) / s.total) : 0;
  return [
    `${s.step}/${s.total} (${pct.toFixed(0)}%)`,
    `fps ${fmt(s.fps, 0)}`,
    `return ${fmt(s.meanReturn, 1)}`,
    `eps ${fmt(s.epsilon, 3)}`,
    `loss ${fmtLoss(s.loss)}`,
    ...(s.episodes !== undefined ? [`ep ${s.episodes}`] : []),
  ].join('  ');
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
