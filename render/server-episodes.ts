/**
 * Episode recordings as the viewer plays them: the recorder's NDJSON (a header line, then one line per step)
 * turned into frames with a scene, a reward and optional value estimates.
 */
import { readFile } from 'node:fs/promises';
import { CorruptFile } from '../core/errors.js';
import { explainInvalidScene, type Scene } from '../core/scene.js';
import type { EpisodeData, EpisodeFrame } from './server-api.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The frames of a recording; throws `CorruptFile` naming the first bad line. */
export async function loadEpisodeFile(path: string, file: string): Promise<EpisodeData> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CorruptFile(path, `Expected a readable episode file ${file}, got ${(err as Error).message}.`, { cause: err });
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new CorruptFile(path, `Expected a header line in ${file}, got an empty file.`);
  const parse = (i: number): Record<string, unknown> => {
    let v: unknown;
    try {
      v = JSON.parse(lines[i]!);
    } catch {
      const last = i === lines.length - 1 && !text.endsWith('\n');
      throw new CorruptFile(path, `Expected JSON on line ${i + 1} of ${file}, got ${last ? 'a truncated last line' : 'text that is not JSON'}.`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CorruptFile(path, `Expected an object on line ${i + 1} of ${file}, got ${typeof v}.`);
    return v as Record<string, unknown>;
  };
  const header = parse(0);
  const frames: EpisodeFrame[] = [];
  for (let i = 1; i < lines.length; i++) {
    const row = parse(i);
    const why = explainInvalidScene(row.scene);
    if (why !== null) throw new CorruptFile(path, `Line ${i + 1} of ${file}: ${why}`);
    const q = Array.isArray(row.q) && row.q.every((x) => typeof x === 'number') ? (row.q as number[]) : null;
    frames.push({
      scene: row.scene as Scene,
      reward: num(row.reward) ?? 0,
      value: num(row.value) ?? (q !== null && q.length > 0 ? Math.max(...q) : null),
      q,
      action: row.action ?? null,
    });
  }
  const fps = num(header.fps) ?? num(header.renderFps) ?? 50;
  return { file, header, fps, frames };
}
