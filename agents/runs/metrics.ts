/**
 * metrics.jsonl: one JSON object a line, each with the global `step`, appended in order so a killed run keeps
 * what it logged. On resume, rows past the checkpoint's step (logged after it, and about to be logged again) are
 * dropped and a line cut off by the kill is removed, so the file never holds duplicates or glued rows.
 */
import { appendFile, open, readFile } from 'node:fs/promises';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/node/files.js';
import { faultHit, killNow } from '../../core/node/checkpoint/fault.js';
import { errnoCode, rethrowFsError, withFsErrors } from '../../core/node/checkpoint/fs-errors.js';

/** One line of metrics.jsonl, e.g. `kind` 'episode' per finished episode, 'log' per interval, 'eval' per evaluation. */
export interface MetricsRecord {
  kind: string;
  /** Global environment step. */
  step: number;
  [key: string]: number | string | boolean | null;
}

/** What `MetricsWriter.openForResume` changed in the file. */
export interface MetricsResumeSummary {
  /** Rows dropped because their step is beyond the checkpoint's. */
  droppedRows: number;
  /** True when the last line was cut off (did not parse) and was dropped. */
  repairedLastLine: boolean;
  /** Lines before the last that did not parse (glued by an older writer) and were dropped. */
  brokenLines: number;
}

/** Appends records to a JSONL file, buffered, with flushes written in order (one append in flight at a time). */
export class MetricsWriter {
  private pending: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  private checkedEnd = false;

  constructor(readonly path: string) {}

  /**
   * Opens `path` to continue a run resumed from a checkpoint at `checkpointStep`: drops rows with a larger step
   * and a cut-off last line, rewriting the file atomically when anything changed.
   */
  static async openForResume(path: string, checkpointStep: number): Promise<{ writer: MetricsWriter; summary: MetricsResumeSummary }> {
    if (!Number.isSafeInteger(checkpointStep) || checkpointStep < 0) {
      throw new InvalidConfig(`Expected the checkpoint step to resume metrics from to be a non-negative integer, got ${describeValue(checkpointStep)}.`);
    }
    const summary: MetricsResumeSummary = { droppedRows: 0, repairedLastLine: false, brokenLines: 0 };
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return { writer: new MetricsWriter(path), summary };
      rethrowFsError(err, 'the metrics file', path, 'Check the run folder and its permissions.');
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const kept: string[] = [];
    lines.forEach((line, i) => {
      const row = parseRow(line);
      if (row === null) {
        if (line.trim() === '') return;
        if (i === lines.length - 1) summary.repairedLastLine = true;
        else summary.brokenLines++;
        return;
      }
      if (typeof row.step === 'number' && row.step > checkpointStep) summary.droppedRows++;
      else kept.push(line);
    });
    const repaired = kept.length === 0 ? '' : `${kept.join('\n')}\n`;
    if (repaired !== text) await withFsErrors('the metrics file', path, () => writeFileAtomic(path, repaired), 'Check the run folder and its permissions.');
    return { writer: new MetricsWriter(path), summary };
  }

  /** Queues one record (its `step` must be a finite number); it reaches the file at the next `flush()`. */
  write(record: MetricsRecord): void {
    if (record === null || typeof record !== 'object' || typeof record.step !== 'number' || !Number.isFinite(record.step)) {
      throw new InvalidConfig(`Expected a metrics record with a finite step, got ${describeValue(record)}.`);
    }
    this.pending.push(JSON.stringify(record));
    // A failed background flush stays in `writing`: the next flush() rejects with it.
    if (this.pending.length >= 64) this.flush().catch(() => {});
  }

  /** Writes every queued record; resolves once they are on disk, rejects if any earlier append failed. */
  flush(): Promise<void> {
    if (this.pending.length > 0) {
      const text = `${this.pending.join('\n')}\n`;
      this.pending = [];
      this.writing = this.writing.then(() => this.append(text));
    }
    return this.writing;
  }

  private async append(text: string): Promise<void> {
    await withFsErrors(
      'the metrics file',
      this.path,
      async () => {
        // A file that does not end in a newline (a kill mid-line) would glue our first row onto the broken one.
        if (!this.checkedEnd && !(await endsWithNewline(this.path))) text = `\n${text}`;
        this.checkedEnd = true;
        if (faultHit('metrics')) {
          // Fault-injection tests: a kill in the middle of a line, as a real kill mid-append leaves it.
          const cut = Math.floor(text.length / 2);
          await appendFile(this.path, text.slice(0, text[cut - 1] === '\n' ? cut + 1 : cut));
          killNow();
        }
        await appendFile(this.path, text);
      },
      'Check the run folder and its permissions.',
    );
  }
}

function parseRow(line: string): Record<string, unknown> | null {
  try {
    const row = JSON.parse(line) as unknown;
    return row !== null && typeof row === 'object' && !Array.isArray(row) ? (row as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** True for a missing or empty file or one whose last byte is '\n'. */
async function endsWithNewline(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return true;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const byte = new Uint8Array(1);
    await handle.read(byte, 0, 1, size - 1);
    return byte[0] === 0x0a;
  } finally {
    await handle.close();
  }
}
