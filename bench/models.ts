/**
 * The model zoo's figures over seeds (mean and sample std), beside the published ones:
 *   npm run bench -- models [--seeds 0,1,2,3,4] [--json] [--only ring,grid,moons,frames,rbm,calibration]
 *                           [--epochs-scale 1] [--out DIR]
 * Sections (all data made by models/data.ts and render/frames.ts; nothing is downloaded):
 *   ring         GAN and PacGAN2 on the ring of 8 Gaussians (std 0.02): modes covered and high-quality fraction of 2,500
 *                samples (models/metrics.ts modeCoverage); RealNVP's test NLL on the ring against its exact entropy,
 *                with spline couplings (ring.nll.flow) and affine ones (ring.nll.flowAffine)
 *   grid         GAN and PacGAN2 on the 5x5 grid (std 0.05): modes covered of 25
 *   moons        test NLL (nats, standardised two moons) of RealNVP, MADE (Gaussian mixtures) and one full Gaussian
 *   frames       28x28 binary CartPole and Acrobot frames of random play: held-out NLL of gated PixelCNN and MADE,
 *                the VAE's ELBO and importance-weighted bound (nats per image); sample PNGs of seed 0 in --out
 *   rbm          the RBM on the same frames: reconstruction error of the first and last epoch, held-out log-likelihood
 *   calibration  deep ensemble and MC dropout on y = x^3 + noise (train x in [-4, 4]): 90% interval coverage on
 *                held-out x inside the range, epistemic std ratio |x| in [5, 6] vs |x| < 3, aleatoric std vs true noise,
 *                held-out log-likelihood of the predictive mixture beside the true density's (calibration.oracle)
 * seconds.<data>.<model> is the wall time of each fit in seconds (seconds.ring.gan, seconds.frames.made, ...).
 * --json prints one JSON object (nothing else on stdout; the table goes to stderr): each key's value is { mean, std,
 * values } (one value per seed), or an object of those by model (ring.modes, ring.highQuality, grid.modes) or by part.
 * Prints figures; asserts nothing.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../core/rng.js';
import { gridOfGaussians, heteroscedastic, ringOfGaussians, splitIndices, takeRows, twoMoons } from '../models/data.js';
import { correlation, epistemicRatio, singleGaussianNll, intervalCoverage, meanAndSpread, modeCoverage, ringEntropy } from '../models/metrics.js';
import type { FitOptions } from '../models/model.js';
import { DeepEnsemble } from '../models/bayes/ensemble.js';
import { McDropout } from '../models/bayes/mc-dropout.js';
import { gaussianComponents, mixtureLogProb } from '../models/bayes/predictive.js';
import { Gan } from '../models/gan.js';
import { RealNVP } from '../models/flow.js';
import { MADE } from '../models/made.js';
import { PixelCNN } from '../models/pixelcnn.js';
import { Rbm } from '../models/rbm.js';
import { Vae } from '../models/vae.js';
import { binaryFrames, writePng } from '../render/frames.js';
import { RING_FLOW_BUDGET, ringFlowResult } from './models-density.js';
import { GAN_BUDGET } from './models-gan.js';

const SECTIONS = ['ring', 'grid', 'moons', 'frames', 'rbm', 'calibration'] as const;
type Section = (typeof SECTIONS)[number];
const FRAME = 28;

/** Training budgets per model (epochs are multiplied by --epochs-scale). */
const BUDGET = {
  // bench/models-gan.ts's: 480 epochs (why, there).
  gan: GAN_BUDGET,
  // RealNVP trains in batches of 64 (at 256 moons seed 1 scored 1.69, at 64 1.17). The ring flow is
  // bench/models-density.ts's ringFlowResult (its own data, RING_FLOW_BUDGET and RING_FLOW_CONFIG), so that both
  // benches print the same ring.nll.flow for a seed.
  flow: { n: 3000, epochs: 100, batchSize: 64 },
  made: { epochs: 100, batchSize: 128 },
  // MADE and the VAE fit in seconds at 20 epochs. The PixelCNN costs ~27 s an epoch (38 steps of 64 frames, ~0.7 s each
  // on one core); at 3 epochs seed 0 already reaches 31.3 nats against MADE's 47.3, so 4 epochs keep the five-seed
  // bench short while the PixelCNN stays far below MADE.
  frames: { perEnv: 1500, stride: 3, testFraction: 0.2, epochs: 20, pixelcnnEpochs: 4, batchSize: 64 },
  rbm: { epochs: 20 },
  calibration: { n: 1000, test: 1000, outside: 400 },
};

/** Per-seed values by key. */
class Figures {
  readonly values = new Map<string, number[]>();
  add(key: string, v: number): void {
    const a = this.values.get(key) ?? [];
    a.push(v);
    this.values.set(key, a);
  }
  stat(key: string): { mean: number; std: number; values: number[] } {
    const v = this.values.get(key) ?? [];
    const { mean, std } = meanAndSpread(v);
    return { mean, std, values: v };
  }
}

/** Fits and records the wall time as seconds.<key> (key: data.model, so that one model on two data sets keeps two keys). */
async function timedFit(fig: Figures, key: string, fit: () => Promise<unknown>): Promise<void> {
  const t = performance.now();
  await fit();
  fig.add(`seconds.${key}`, (performance.now() - t) / 1000);
}

function meanOf(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

/** A px x px picture of 2-D samples in [-lim, lim]^2 (1 where any sample lands), to see mode collapse. */
function scatter(samples: Float32Array, n: number, lim: number, px = 96): Float32Array {
  const img = new Float32Array(px * px);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(((samples[2 * i]! + lim) / (2 * lim)) * px);
    const r = Math.floor(((lim - samples[2 * i + 1]!) / (2 * lim)) * px);
    if (c >= 0 && c < px && r >= 0 && r < px) img[r * px + c] = 1;
  }
  return img;
}

interface Ctx {
  fig: Figures;
  seed: number;
  /** The first seed: its samples are drawn as PNGs. */
  seedZero: number;
  scale: number;
  out: string;
  png: (name: string, frames: Float32Array, w: number, h: number) => Promise<void>;
  frames: () => Promise<{ train: Float32Array; nTrain: number; test: Float32Array; nTest: number }>;
}

const epochs = (c: Ctx, e: number): FitOptions['epochs'] => Math.max(1, Math.round(e * c.scale));

async function mixtureSection(c: Ctx, which: 'ring' | 'grid'): Promise<void> {
  const { fig, seed } = c;
  const rng = new Rng(seed * 1000 + (which === 'ring' ? 1 : 2));
  const data = which === 'ring' ? ringOfGaussians(BUDGET.gan.n, rng) : gridOfGaussians(BUDGET.gan.n, rng);
  for (const [name, pack] of [['gan', 1], ['pacgan', 2]] as const) {
    const key = (m: string): string => `${which}.${m}.${name}`;
    const gan = new Gan({ dim: 2, pack, seed });
    await timedFit(fig, `${which}.${name}`, () => gan.fit(data.data, data.n, { epochs: epochs(c, BUDGET.gan.epochs), batchSize: BUDGET.gan.batchSize }));
    const s = gan.sample(BUDGET.gan.samples);
    const cov = modeCoverage(s, BUDGET.gan.samples, data.centres, data.std);
    fig.add(key('modes'), cov.modes);
    fig.add(key('highQuality'), cov.highQuality);
    if (seed === c.seedZero) await c.png(`${which}-${name}.png`, scatter(s, BUDGET.gan.samples, which === 'ring' ? 2.5 : 5), 96, 96);
  }
  if (which !== 'ring') return;
  const ring = await ringFlowResult(seed, { epochs: epochs(c, RING_FLOW_BUDGET.epochs) });
  fig.add('seconds.ring.flow', ring.seconds);
  fig.add('ring.nll.flow', ring.nll);
  const affine = await ringFlowResult(seed, { epochs: epochs(c, RING_FLOW_BUDGET.epochs), coupling: 'affine' });
  fig.add('seconds.ring.flowAffine', affine.seconds);
  fig.add('ring.nll.flowAffine', affine.nll);
}

async function moonsSection(c: Ctx): Promise<void> {
  const { fig, seed } = c;
  const rng = new Rng(seed * 1000 + 3);
  const m = twoMoons(BUDGET.flow.n, rng);
  const { train: ti, test: si } = splitIndices(m.n, 1 / 3, rng);
  const train = takeRows(m.data, 2, ti), test = takeRows(m.data, 2, si);
  fig.add('moons.nll.gaussian', singleGaussianNll(train, ti.length, test, si.length));
  const flow = new RealNVP({ dim: 2, seed });
  await timedFit(fig, 'moons.flow', () => flow.fit(train, ti.length, { epochs: epochs(c, BUDGET.flow.epochs), batchSize: BUDGET.flow.batchSize }));
  fig.add('moons.nll.flow', -meanOf(flow.logProb(test, si.length)));
  const made = new MADE({ dim: 2, seed, output: 'gaussianMixture' });
  await timedFit(fig, 'moons.made', () => made.fit(train, ti.length, { epochs: epochs(c, BUDGET.made.epochs), batchSize: BUDGET.made.batchSize }));
  fig.add('moons.nll.made', -meanOf(made.logProb(test, si.length)));
}

async function framesSection(c: Ctx): Promise<void> {
  const { fig, seed } = c;
  const d = await c.frames();
  const dim = FRAME * FRAME;
  const opts = { epochs: epochs(c, BUDGET.frames.epochs), batchSize: BUDGET.frames.batchSize };
  if (seed === c.seedZero) await c.png('frames-data.png', d.test.subarray(0, 64 * dim), FRAME, FRAME);
  const nll = async (key: string, name: string, model: PixelCNN | MADE, fit = opts): Promise<void> => {
    await timedFit(fig, `frames.${name}`, () => model.fit(d.train, d.nTrain, fit));
    fig.add(key, -meanOf(model.logProb(d.test, d.nTest)));
    if (seed === c.seedZero) await c.png(`frames-${name}.png`, model.sample(64), FRAME, FRAME);
  };
  const pixelOpts = { ...opts, epochs: epochs(c, BUDGET.frames.pixelcnnEpochs) };
  await nll('frames.nll.pixelcnn', 'pixelcnn', new PixelCNN({ width: FRAME, height: FRAME, seed }), pixelOpts);
  await nll('frames.nll.made', 'made', new MADE({ dim, seed, output: 'bernoulli' }));
  const vae = new Vae({ dim, likelihood: 'bernoulli', seed });
  await timedFit(fig, 'frames.vae', () => vae.fit(d.train, d.nTrain, opts));
  const ev = vae.evaluate(d.test, d.nTest);
  fig.add('frames.elbo.vae', meanOf(ev.elbo));
  fig.add('frames.iw.vae', meanOf(ev.iw));
  if (seed === c.seedZero) await c.png('frames-vae.png', vae.sample(64), FRAME, FRAME);
}

async function rbmSection(c: Ctx): Promise<void> {
  const { fig, seed } = c;
  const d = await c.frames();
  const rbm = new Rbm({ visible: FRAME * FRAME, seed });
  const losses: number[] = [];
  await timedFit(fig, 'frames.rbm', () => rbm.fit(d.train, d.nTrain, { epochs: epochs(c, BUDGET.rbm.epochs), onEpoch: (e) => losses.push(e.loss) }));
  fig.add('rbm.reconstruction.first', losses[0]!);
  fig.add('rbm.reconstruction.last', losses[losses.length - 1]!);
  fig.add('rbm.logLikelihood', meanOf(rbm.logProb(d.test, d.nTest)));
  if (seed === c.seedZero) await c.png('frames-rbm.png', rbm.sample(64), FRAME, FRAME);
}

async function calibrationSection(c: Ctx): Promise<void> {
  const { fig, seed } = c;
  const rng = new Rng(seed * 1000 + 5);
  const B = BUDGET.calibration;
  const train = heteroscedastic(B.n, rng);
  const test = heteroscedastic(B.test, rng);
  // Queries: the held-out points, then points outside the training range, |x| in [5, 6] on both sides.
  const q = new Float32Array(B.test + B.outside);
  q.set(test.x);
  for (let i = 0; i < B.outside; i++) q[B.test + i] = (i % 2 === 0 ? 1 : -1) * rng.uniform(5, 6);
  // The true density's own held-out log-likelihood, log N(y; x^3, s(x)^2): what a perfect predictive would score.
  const truth = gaussianComponents(1, B.test, 1);
  truth.mean.set(Array.from(test.x, (x) => x ** 3));
  truth.std.set(test.noiseStd);
  fig.add('calibration.oracle.logLikelihood', meanOf(mixtureLogProb(truth, test.y)));
  for (const [name, Ctor] of [['ensemble', DeepEnsemble], ['dropout', McDropout]] as const) {
    const key = (m: string): string => `calibration.${name}.${m}`;
    const model = new Ctor({ inDim: 1, outDim: 1, seed });
    await timedFit(fig, `calibration.${name}`, () => model.fit(train.x, train.y, train.n));
    const p = model.predict(q, q.length);
    const total = new Float32Array(B.test);
    const aleStd = new Float32Array(B.test);
    for (let i = 0; i < B.test; i++) {
      total[i] = p.epistemic[i]! + p.aleatoric[i]!;
      aleStd[i] = Math.sqrt(p.aleatoric[i]!);
    }
    fig.add(key('coverage90'), intervalCoverage(p.mean.subarray(0, B.test), total, test.y));
    fig.add(key('epistemicRatio'), epistemicRatio(q, p.epistemic));
    fig.add(key('aleatoricCorrelation'), correlation(aleStd, test.noiseStd));
    fig.add(key('logLikelihood'), meanOf(model.logProb(test.x, test.y, B.test)));
  }
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The published figure or target beside each key. */
const REFERENCE: Record<string, string> = {
  'ring.modes': 'PacGAN T1: GAN 6.3, PacGAN2 7.9; VEEGAN T1: GAN 1, VEEGAN 8; want >= 7.5',
  'ring.highQuality': 'PacGAN T1: GAN 98.2%, PacGAN2 95.6%; VEEGAN 52.9%; want >= 0.90',
  'grid.modes': 'of 25',
  'moons.nll.flow': 'RealNVP 8 couplings 1.34 (blog; make_moons noise 0.05 here, its page says 0.06); data entropy 1.14 at 0.05, 1.32 at 0.06; want <= 1.34 and < gaussian',
  'moons.nll.made': 'want < gaussian',
  'moons.nll.gaussian': 'one full-covariance Gaussian',
  'ring.nll.flow': 'spline couplings; want within 0.1 of ring.entropy',
  'ring.nll.flowAffine': 'affine couplings, for comparison',
  'ring.entropy': 'exact (quadrature)',
  'frames.nll.pixelcnn': 'want < frames.nll.made',
  'frames.nll.made': 'nats per image',
  'frames.elbo.vae': 'ELBO (nats per image; -ELBO bounds the NLL); IW bound beside',
  'rbm.reconstruction': 'want last <= first / 2',
  'rbm.logLikelihood': 'nats per image (AIS or exact log Z)',
  'calibration.oracle.logLikelihood': 'the true density log N(y; x^3, s(x)^2) on the same held-out points',
};
const calibrationRef = {
  coverage90: 'want 0.85-0.95', epistemicRatio: 'want >= 3', aleatoricCorrelation: 'want >= 0.9',
  logLikelihood: 'held-out log p(y | x), nats per point (the predictive mixture); the true density scores calibration.oracle',
};

/** Entry: see the file comment. */
export async function main(args: string[]): Promise<void> {
  const seeds = (option(args, '--seeds') ?? '0,1,2,3,4').split(',').map(Number);
  const only = new Set((option(args, '--only') ?? SECTIONS.join(',')).split(',') as Section[]);
  const scale = Number(option(args, '--epochs-scale') ?? 1);
  const json = args.includes('--json');
  const out = option(args, '--out') ?? (await mkdtemp(join(tmpdir(), 'rxgym-models-')));
  const log = (s: string): void => void (json ? process.stderr.write(`${s}\n`) : console.log(s));
  const fig = new Figures();
  await mkdir(out, { recursive: true });
  for (const seed of seeds) {
    let cached: Awaited<ReturnType<Ctx['frames']>> | null = null;
    const ctx: Ctx = {
      fig, seed, scale, out, seedZero: seeds[0]!,
      png: (name, frames, w, h) => writePng(join(out, name), frames, w, h),
      frames: async () => {
        if (cached) return cached;
        const F = BUDGET.frames;
        const opts = { seed, stride: F.stride };
        const cart = await binaryFrames('CartPole-v1', F.perEnv, opts);
        const acro = await binaryFrames('Acrobot-v1', F.perEnv, opts);
        const all = new Float32Array(cart.length + acro.length);
        all.set(cart);
        all.set(acro, cart.length);
        const { train, test } = splitIndices(2 * F.perEnv, F.testFraction, new Rng(seed * 1000 + 4));
        const dim = FRAME * FRAME;
        cached = { train: takeRows(all, dim, train), nTrain: train.length, test: takeRows(all, dim, test), nTest: test.length };
        return cached;
      },
    };
    const t0 = performance.now();
    const before = new Map([...fig.values].map(([k, v]) => [k, v.length]));
    if (only.has('ring')) await mixtureSection(ctx, 'ring');
    if (only.has('grid')) await mixtureSection(ctx, 'grid');
    if (only.has('moons')) await moonsSection(ctx);
    if (only.has('frames')) await framesSection(ctx);
    if (only.has('rbm')) await rbmSection(ctx);
    if (only.has('calibration')) await calibrationSection(ctx);
    // This seed's own figures as soon as it is done: a long run that is stopped early still shows what it measured.
    const own = [...fig.values].filter(([k, v]) => v.length > (before.get(k) ?? 0)).map(([k, v]) => `${k} ${v[v.length - 1]!.toFixed(3)}`);
    log(`seed ${seed} done in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${own.join(', ')}`);
  }
  const r: Record<string, unknown> = {};
  const byModel = (k: string): Record<string, unknown> => ({ gan: fig.stat(`${k}.gan`), pacgan: fig.stat(`${k}.pacgan`) });
  if (only.has('ring')) {
    r['ring.modes'] = byModel('ring.modes');
    r['ring.highQuality'] = byModel('ring.highQuality');
    r['ring.nll.flow'] = fig.stat('ring.nll.flow');
    r['ring.nll.flowAffine'] = fig.stat('ring.nll.flowAffine');
    r['ring.entropy'] = ringEntropy();
  }
  if (only.has('grid')) r['grid.modes'] = byModel('grid.modes');
  if (only.has('moons')) for (const m of ['flow', 'made', 'gaussian']) r[`moons.nll.${m}`] = fig.stat(`moons.nll.${m}`);
  if (only.has('frames')) {
    r['frames.nll.pixelcnn'] = fig.stat('frames.nll.pixelcnn');
    r['frames.nll.made'] = fig.stat('frames.nll.made');
    r['frames.elbo.vae'] = { ...fig.stat('frames.elbo.vae'), iw: fig.stat('frames.iw.vae') };
  }
  if (only.has('rbm')) {
    r['rbm.reconstruction'] = { first: fig.stat('rbm.reconstruction.first'), last: fig.stat('rbm.reconstruction.last') };
    r['rbm.logLikelihood'] = fig.stat('rbm.logLikelihood');
  }
  if (only.has('calibration')) {
    for (const n of ['ensemble', 'dropout']) for (const m of Object.keys(calibrationRef)) r[`calibration.${n}.${m}`] = fig.stat(`calibration.${n}.${m}`);
    r['calibration.oracle.logLikelihood'] = fig.stat('calibration.oracle.logLikelihood');
  }
  for (const k of [...fig.values.keys()].filter((k) => k.startsWith('seconds.')).sort()) r[k] = fig.stat(k);
  // With --json the table still goes to stderr, so that one long run gives both.
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  log(`\nModel zoo over seeds ${seeds.join(',')} (mean ± sample std; epochs x${scale}); sample PNGs in ${out}`);
  for (const [k, v] of Object.entries(r)) {
    const ref = REFERENCE[k] ?? (k.startsWith('calibration.') ? calibrationRef[k.split('.')[2] as keyof typeof calibrationRef] : '');
    log(`  ${k.padEnd(40)} ${show(v).padEnd(52)} ${ref ?? ''}`);
  }
}

function show(v: unknown): string {
  if (typeof v === 'number') return v.toFixed(3);
  if (typeof v !== 'object' || v === null) return String(v);
  const o = v as Record<string, unknown>;
  if (typeof o.mean === 'number') {
    const base = `${(o.mean as number).toFixed(3)} ± ${(o.std as number).toFixed(3)}`;
    return o.iw ? `${base}  (IW ${show(o.iw)})` : base;
  }
  return Object.entries(o).map(([k, x]) => `${k} ${show(x)}`).join('; ');
}
