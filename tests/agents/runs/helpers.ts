// Shared test helpers: a full checkpoint content with every field set, and a tamper tool that keeps the
// manifest consistent so that the structural checks behind the hash check are reached.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointContent } from '../../../core/node/checkpoint/checkpoint.js';
import { sha256 } from '../../../core/node/files.js';
import type { NamedArray } from '../../../nn/types.js';

/** A named array filled with `base + i / 8`. */
export function arr(name: string, shape: number[], base: number): NamedArray {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: Float32Array.from({ length: n }, (_, i) => base + i / 8) };
}

/** Content with two nets, two optimisers, two rngs, counters, env state and a selection; `marker` tags every tensor. */
export function makeContent(step: number, marker = 1): CheckpointContent {
  return {
    algo: 'dqn',
    step,
    config: { learningRate: 0.001, hidden: [4, 3], double: true, note: null },
    env: {
      id: 'CartPole-v1',
      observationSpace: { kind: 'box', shape: [4], low: [-1, -1, -1, -1], high: [1, 1, 1, 1] },
      actionSpace: { kind: 'discrete', n: 2 },
      state: { physics: [0.01, -0.02, 0.03, 0.04], t: 17 },
    },
    nets: {
      q: [arr('0/dense/kernel', [4, 3], marker), arr('0/dense/bias', [3], marker + 0.5)],
      target: [arr('0/dense/kernel', [4, 3], marker + 2), arr('0/dense/bias', [3], marker + 3)],
    },
    optimizers: {
      q: { steps: 12 * marker, slots: [arr('0/m', [15], marker * 10), arr('0/v', [15], marker * 20)] },
      empty: { steps: 0, slots: [] },
    },
    rngs: { act: [1, 2, 3, marker], sample: [0xffffffff, 0, 7, 9] },
    counters: { step, episodes: 3 * marker, updates: 40, recentReturns: [10.5, 22, 500], lastLoss: -0.25, nested: { a: [true, 'x'] } },
    selection: { bestScore: 487.5, bestStep: 4000, nets: { q: [arr('0/dense/kernel', [4, 3], -marker), arr('0/dense/bias', [3], -marker - 1)] } },
    replay: false,
  };
}

/** Replaces `file` in checkpoint `dir` and fixes its manifest entry (size and hash) to match. */
export async function tamper(dir: string, file: string, data: Uint8Array | string): Promise<void> {
  await writeFile(join(dir, file), data);
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { files: { path: string; bytes: number; sha256: string }[] };
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const entry = manifest.files.find((f) => f.path === file)!;
  entry.bytes = bytes.byteLength;
  entry.sha256 = sha256(bytes);
  await writeFile(manifestPath, JSON.stringify(manifest));
}

/** The first value of tensor q's kernel, which `makeContent` sets to `marker`. */
export function markerOf(content: { nets: Record<string, NamedArray[]> }): number {
  return content.nets.q![0]!.data[0]!;
}
