/**
 * Replay with bootstrap masks (Osband et al. 2016): every stored transition carries one mask per head, drawn once
 * from Bernoulli(maskProb) when it is stored, so each head learns from its own bootstrap resample of the data. The
 * masks are saved beside the rows (`masks.bin`) and checked against the replay header's SHA-256 when loaded.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptFile } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { sha256 } from '../core/node/files.js';
import { loadReplay, readReplayHeader } from '../replay/node/files.js';
import { ReplayBuffer, type ReplayBufferConfig } from '../replay/replay-buffer.js';
import type { FieldArray } from '../replay/snapshot.js';
import type { ReplayBatch } from '../replay/types.js';

/**
 * Fixed functions of a stored row cached beside it: `width` floats per observation, computed by `compute(x, out)` from
 * the row's observation as the learner sees it (scaled by `scale`). The agent caches the heads' prior outputs here.
 */
export interface RowCache {
  width: number;
  scale: number;
  compute(x: Float32Array, out: Float32Array): void;
}

/** A uniform replay whose rows carry `heads` bootstrap masks (0 or 1), and optionally a cache of fixed outputs. */
export class BootstrapReplay<O> extends ReplayBuffer<'discrete', O> {
  /** capacity x heads masks, row-major. */
  readonly masks: Uint8Array;
  /** capacity x cache.width outputs for obs and for nextObs (empty without a cache). */
  readonly cachedObs: Float32Array;
  readonly cachedNext: Float32Array;
  private readonly row: Float32Array;

  /** `rng` draws the masks; `maskProb` is each head's chance of training on a transition (1: every head sees all). */
  constructor(config: ReplayBufferConfig<'discrete', O>, readonly heads: number, readonly maskProb: number, private readonly rng: Rng, private readonly cache: RowCache | null = null) {
    super(config);
    this.masks = new Uint8Array(this.capacity * heads);
    const width = cache?.width ?? 0;
    [this.cachedObs, this.cachedNext, this.row] = [new Float32Array(this.capacity * width), new Float32Array(this.capacity * width), new Float32Array(this.obsDim)];
  }

  protected override onStored(row: number): void {
    drawBootstrapMasks(this.masks, row * this.heads, this.heads, this.maskProb, this.rng);
    this.fillCache(row);
  }

  private fillCache(row: number): void {
    const c = this.cache;
    if (c === null) return;
    const d = this.obsDim;
    for (const [rows, out] of [[this.obs, this.cachedObs], [this.nextObs, this.cachedNext]] as const) {
      // Stryker disable next-line EqualityOperator: this.row holds exactly d floats, so a write at index d is dropped
      for (let j = 0; j < d; j++) this.row[j] = rows[row * d + j]! * c.scale;
      c.compute(this.row, out.subarray(row * c.width, (row + 1) * c.width));
    }
  }

  /** The cached outputs of the sampled rows, split per head: out.obs[k] row i = cache of obs row i, head k's slice (width / heads floats). */
  gatherCache(batch: ReplayBatch<'discrete'>, out: { obs: Float32Array[]; next: Float32Array[] }): void {
    const c = this.cache;
    if (c === null) return;
    const per = c.width / this.heads, idx = batch.indices;
    for (const [src, dst] of [[this.cachedObs, out.obs], [this.cachedNext, out.next]] as const) {
      for (let k = 0; k < this.heads; k++) {
        const o = dst[k]!;
        for (let i = 0; i < batch.batchSize; i++) {
          const from = idx[i]! * c.width + k * per;
          for (let a = 0; a < per; a++) o[i * per + a] = src[from + a]!;
        }
      }
    }
  }

  protected override extraFields(): Record<string, FieldArray> {
    return { masks: this.masks.subarray(0, this.size * this.heads) };
  }

  /** Head k's masks of the rows `batch` was sampled from, into out[k] (batchSize floats each). */
  gatherMasks(batch: ReplayBatch<'discrete'>, out: Float32Array[]): void {
    const idx = batch.indices;
    for (let k = 0; k < this.heads; k++) {
      const m = out[k]!;
      for (let i = 0; i < batch.batchSize; i++) m[i] = this.masks[idx[i]! * this.heads + k]!;
    }
  }

  /** The buffer `saveReplay` wrote to `dir`, masks included; `CorruptFile` names the file when they are missing or altered. */
  static async load<O>(dir: string, config: ReplayBufferConfig<'discrete', O>, heads: number, maskProb: number, rng: Rng, cache: RowCache | null = null): Promise<BootstrapReplay<O>> {
    const rows = await loadReplay<'discrete', O>(dir, { actionKind: 'discrete', obsDim: config.obsDim });
    const out = new BootstrapReplay<O>({ ...config, capacity: rows.capacity }, heads, maskProb, rng, cache);
    for (const key of ['obs', 'nextObs', 'actions', 'rewards', 'terminated', 'truncated'] as const) out[key].set(rows[key]);
    if (out.discounts && rows.discounts) out.discounts.set(rows.discounts);
    out.count = rows.size;
    out.next = rows.position;
    const header = await readReplayHeader(dir);
    const entry = header.fields['masks'];
    const path = join(dir, 'masks.bin');
    const want = rows.size * heads;
    if (entry === undefined || entry.dtype !== 'uint8' || entry.length !== want) {
      throw new CorruptFile(path, `Expected ${want} uint8 bootstrap masks (${rows.size} rows x ${heads} heads) in ${dir}, got ${entry ? `${entry.length} ${entry.dtype} values` : 'none'}.`);
    }
    const bytes = await readFile(path);
    if (bytes.length !== want || sha256(bytes) !== entry.sha256) throw new CorruptFile(path, `Expected ${path} to match the SHA-256 in its replay header, got another file: it is corrupt or from another save.`);
    out.masks.set(bytes);
    for (let row = 0; row < out.size; row++) out.fillCache(row); // the cache is a function of the rows: rebuilt, not saved
    return out;
  }
}

/** One row's bootstrap masks: masks[at + k] for the `heads` heads is 1 with probability maskProb, else 0 (no draw when maskProb >= 1). */
export function drawBootstrapMasks(masks: Uint8Array, at: number, heads: number, maskProb: number, rng: Rng): Uint8Array {
  for (let k = 0; k < heads; k++) {
    if (maskProb >= 1) {
      masks[at + k] = 1;
      continue;
    }
    // Stryker disable next-line EqualityOperator: float() equals maskProb with probability 2^-53
    masks[at + k] = rng.float() < maskProb ? 1 : 0;
  }
  return masks;
}
