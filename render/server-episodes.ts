/**
 * Episode recordings as the viewer plays them: the recorder's NDJSON (read with `readEpisode`, which reports
 * corrupt and truncated files as `CorruptFile`) turned into frames with a scene, a reward and optional values.
 */
import type { EpisodeData, EpisodeFrame } from './server-api.js';
import { readEpisode } from './recorder.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The frames of a recording: the reset scene when recorded, then one per step (the scene after it). Throws
 * `CorruptFile` naming the bad line.
 */
export async function loadEpisodeFile(path: string, file: string): Promise<EpisodeData> {
  const { header, steps } = await readEpisode(path);
  const frames: EpisodeFrame[] = steps.map((s) => {
    const q = Array.isArray(s.q) && s.q.length > 0 && s.q.every((x) => typeof x === 'number' && Number.isFinite(x)) ? (s.q as number[]) : null;
    return {
      scene: s.scene,
      reward: s.reward,
      // A value estimate V(s) when recorded, else the greedy action's Q.
      value: num(s.value) ?? (q !== null ? Math.max(...q) : null),
      q,
      qSpread: num(s.qSpread),
      action: s.action ?? null,
      reset: s.reset === true,
    };
  });
  return { file, header: { ...header }, fps: num(header.fps) ?? 50, frames };
}
