/**
 * The GAN's figures on the 2-D mixtures, for one seed at a time, and a standalone table over seeds:
 *   npm run bench -- models-gan [--seeds 0,1,2,3,4] [--pack 1,2] [--grid]
 * `ringResult(seed)` and `gridResult(seed)`: data from models/data.ts (5,000 rows seeded by `seed`), a GAN with its
 * defaults fitted in batches of 128 for GAN_BUDGET's epochs (bench/models.ts trains on the same budget), then 2,500
 * samples scored by models/metrics.ts modeCoverage (3-sigma high quality, a mode covered with a fifth of its share).
 * Prints figures; asserts nothing.
 */
import { Rng } from '../core/rng.js';
import { gridOfGaussians, ringOfGaussians, type MixtureData } from '../models/data.js';
import { Gan, type GanConfig } from '../models/gan.js';
import { meanAndSpread, modeCoverage } from '../models/metrics.js';
import { initBackend } from '../nn/backend.js';

/**
 * The budget of one fit: training rows, epochs, rows per step, samples scored. 480 epochs (18,720 generator steps),
 * chosen on seeds 20-23 of bench/models.ts (its data seeds): on the ring PacGAN2 then covers all 8 modes with
 * 0.941-0.974 of its samples high quality (0.764-0.897 at 120 epochs, 0.886-0.962 at 240). On the grid it then covers
 * 16, 25 and 10 of 25 modes on seeds 20-22 (0 at 120 epochs, on seed 0), where the plain GAN covers 7, 6 and 9.
 */
export const GAN_BUDGET = { n: 5000, epochs: 480, batchSize: 128, samples: 2500 } as const;

/** One seed's figures on a mixture. */
export interface MixtureResult {
  /** Modes covered (of 8 on the ring, 25 on the grid). */
  modes: number;
  /** Fraction of the samples within 3 std of a mode's centre. */
  highQuality: number;
  /** Wall time of the fit, seconds. */
  seconds: number;
  /** The scored samples (samples x 2), for a scatter plot. */
  samples: Float32Array;
}

async function mixtureResult(data: MixtureData, seed: number, config: Partial<GanConfig>): Promise<MixtureResult> {
  const gan = new Gan({ dim: 2, ...config, seed });
  const fit = await gan.fit(data.data, data.n, { epochs: GAN_BUDGET.epochs, batchSize: GAN_BUDGET.batchSize });
  const samples = gan.sample(GAN_BUDGET.samples);
  const cov = modeCoverage(samples, GAN_BUDGET.samples, data.centres, data.std);
  return { modes: cov.modes, highQuality: cov.highQuality, seconds: fit.seconds, samples };
}

/** The ring of 8 Gaussians (radius 2, std 0.02): modes covered of 8 and high-quality fraction; `config.pack` 2 is PacGAN2. */
export function ringResult(seed: number, config: Partial<GanConfig> = {}): Promise<MixtureResult> {
  return mixtureResult(ringOfGaussians(GAN_BUDGET.n, new Rng(seed)), seed, config);
}

/** The 5x5 grid of Gaussians (spacing 2, std 0.05): modes covered of 25 and high-quality fraction. */
export function gridResult(seed: number, config: Partial<GanConfig> = {}): Promise<MixtureResult> {
  return mixtureResult(gridOfGaussians(GAN_BUDGET.n, new Rng(seed)), seed, config);
}

function list(args: string[], flag: string, fallback: number[]): number[] {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] ? args[i + 1]!.split(',').map(Number) : fallback;
}

/** Prints modes, high-quality fraction and seconds per fit (mean +- sample std over seeds) for each packing degree. */
export async function main(args: string[]): Promise<void> {
  await initBackend();
  const seeds = list(args, '--seeds', [0, 1, 2, 3, 4]);
  const grid = args.includes('--grid');
  for (const pack of list(args, '--pack', [1, 2])) {
    const rows: MixtureResult[] = [];
    for (const seed of seeds) {
      const r = await (grid ? gridResult : ringResult)(seed, { pack });
      rows.push(r);
      console.log(`${grid ? 'grid' : 'ring'} pack ${pack} seed ${seed}: modes ${r.modes}, high quality ${(100 * r.highQuality).toFixed(1)}%, ${r.seconds.toFixed(1)} s`);
    }
    const f = (xs: number[], scale = 1, digits = 2) => {
      const s = meanAndSpread(xs.map((x) => x * scale));
      return `${s.mean.toFixed(digits)} +- ${s.std.toFixed(digits)}`;
    };
    console.log(
      `${grid ? 'grid' : 'ring'} pack ${pack} (${seeds.length} seeds): modes ${f(rows.map((r) => r.modes))}, high quality ${f(rows.map((r) => r.highQuality), 100, 1)}%, ` +
        `seconds per fit ${f(rows.map((r) => r.seconds), 1, 1)}`,
    );
  }
}
