import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsWriter } from '../../../agents/runs/metrics.js';
import { InvalidConfig } from '../../../core/errors.js';

let root: string;
let path: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-runs-metrics-'));
  path = join(root, 'metrics.jsonl');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const rows = async (): Promise<unknown[]> => (await readFile(path, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);

describe('MetricsWriter', () => {
  it('appends records in order across flushes, including background flushes of 64', async () => {
    const w = new MetricsWriter(path);
    for (let i = 0; i < 150; i++) w.write({ kind: 'log', step: i, loss: i / 2 });
    await w.flush();
    w.write({ kind: 'eval', step: 150, mean: null });
    await w.flush();
    const got = await rows();
    expect(got).toHaveLength(151);
    expect(got.map((r) => (r as { step: number }).step)).toEqual(Array.from({ length: 151 }, (_, i) => i));
  });

  it('starts on a new line when the file ends mid-line, instead of gluing a row onto it', async () => {
    await writeFile(path, '{"kind":"log","step":1}\n{"kind":"log","st');
    const w = new MetricsWriter(path);
    w.write({ kind: 'log', step: 2 });
    await w.flush();
    w.write({ kind: 'log', step: 3 });
    await w.flush();
    expect(await readFile(path, 'utf8')).toBe('{"kind":"log","step":1}\n{"kind":"log","st\n{"kind":"log","step":2}\n{"kind":"log","step":3}\n');
  });

  it('rejects a record without a finite step', () => {
    const w = new MetricsWriter(path);
    expect(() => w.write({ kind: 'log', step: Number.NaN })).toThrow(new InvalidConfig('Expected a metrics record with a finite step, got {"kind":"log","step":null}.'));
  });

  it('reports a write into a missing folder as a rejected flush, not an unhandled error', async () => {
    const w = new MetricsWriter(join(root, 'missing', 'metrics.jsonl'));
    for (let i = 0; i < 64; i++) w.write({ kind: 'log', step: i });
    await expect(w.flush()).rejects.toThrow(/ENOENT/);
  });
});

describe('MetricsWriter.openForResume', () => {
  it('drops rows past the checkpoint step and a cut-off last line, then appends cleanly', async () => {
    const lines = [1, 5, 10, 11, 12].map((s) => JSON.stringify({ kind: 'log', step: s }));
    await writeFile(path, `${lines.join('\n')}\n{"kind":"episode","step":13,"ret`);
    const { writer, summary } = await MetricsWriter.openForResume(path, 10);
    expect(summary).toEqual({ droppedRows: 2, repairedLastLine: true, brokenLines: 0 });
    writer.write({ kind: 'log', step: 11, resumed: true });
    await writer.flush();
    expect(await rows()).toEqual([
      { kind: 'log', step: 1 },
      { kind: 'log', step: 5 },
      { kind: 'log', step: 10 },
      { kind: 'log', step: 11, resumed: true },
    ]);
  });

  it('keeps a complete last line without its newline, drops broken middle lines, and leaves a clean file untouched', async () => {
    await writeFile(path, '{"kind":"log","step":1}\n{"kind":"lo{"kind":"log","step":2}\n{"kind":"log","step":3}');
    const first = await MetricsWriter.openForResume(path, 100);
    expect(first.summary).toEqual({ droppedRows: 0, repairedLastLine: false, brokenLines: 1 });
    const clean = '{"kind":"log","step":1}\n{"kind":"log","step":3}\n';
    expect(await readFile(path, 'utf8')).toBe(clean);
    const second = await MetricsWriter.openForResume(path, 100);
    expect(second.summary).toEqual({ droppedRows: 0, repairedLastLine: false, brokenLines: 0 });
    expect(await readFile(path, 'utf8')).toBe(clean);
  });

  it('opens a missing file as empty and rejects a bad step', async () => {
    const { summary } = await MetricsWriter.openForResume(path, 0);
    expect(summary).toEqual({ droppedRows: 0, repairedLastLine: false, brokenLines: 0 });
    await expect(MetricsWriter.openForResume(path, -1)).rejects.toThrow('Expected the checkpoint step to resume metrics from to be a non-negative integer, got -1.');
  });
});
