/** Typed fetches of the viewer's JSON API (shapes in render/server-api.ts). */
import type { EpisodeData, EpisodeListing, MetricsResponse, RunInfo } from '../../server-api.js';

export type { EpisodeData, EpisodeFrame, EpisodeListing, MetricsResponse, MetricsRow, RunInfo } from '../../server-api.js';

/** A failed API call, with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, { cache: 'no-store' });
  const body = (await res.json().catch(() => ({ error: `Expected JSON from ${path}, got something else.` }))) as T | { error?: string };
  if (!res.ok) throw new ApiError(res.status, (body as { error?: string }).error ?? `${res.status} ${res.statusText}`);
  return body as T;
}

const enc = encodeURIComponent;

/** Server facts: whether a training run publishes live. */
export const fetchInfo = (): Promise<{ live: boolean; maxFps: number; viewers: number }> => get('api/info');
/** Every run, newest first. */
export const fetchRuns = (): Promise<RunInfo[]> => get('api/runs');
/** metrics.jsonl of a run. */
export const fetchMetrics = (run: string): Promise<MetricsResponse> => get(`api/runs/${enc(run)}/metrics`);
/** The recordings of a run. */
export const fetchEpisodes = (run: string): Promise<EpisodeListing[]> => get(`api/runs/${enc(run)}/episodes`);
/** One recording. */
export const fetchEpisode = (run: string, file: string): Promise<EpisodeData> => get(`api/runs/${enc(run)}/episodes/${enc(file)}`);
