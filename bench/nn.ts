/**
 * Network engine speed (nn/): train steps/s of a Q-network (forward, Huber on Q(s,a), backward, clipping, Adam)
 * and act latency (one observation -> greedy action) for the plain Float32Array engine (WebAssembly SIMD kernel,
 * or its JS loops) and the tfjs engine on wasm (explicit-transpose matMul gradient) and on cpu. Medians of 5 repeats. Also a DQN-shaped cycle (SB3 CartPole defaults: 4 acts, then one
 * train step and one target-network predict on batch 32) as env steps/s with the env itself left out.
 *
 *   npm run bench -- nn [--quick] [--wall] [--engines plain,plain-js,wasm,cpu] [--nets 4-64-64-2] [--batches 32,64]
 *
 * Rates are per second of this process's CPU time unless --wall is given.
 */
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend } from '../nn/backend.js';
import { createNet } from '../nn/net.js';
import { PlainNet } from '../nn/plain/net.js';
import { adam } from '../nn/optimizers.js';
import type { Net, NetSpec, Optimizer } from '../nn/types.js';
import { dqnLoss } from '../agents/dqn.js';
import { Rng } from '../core/rng.js';

type EngineName = 'plain' | 'plain-js' | 'wasm' | 'cpu';

const ALL_ENGINES: EngineName[] = ['plain', 'plain-js', 'wasm', 'cpu'];
const ENGINE_LABEL: Record<EngineName, string> = {
  plain: 'plain (SIMD kernel)',
  'plain-js': 'plain (JS loops)',
  wasm: 'tfjs-wasm (transposed grad)',
  cpu: 'tfjs-cpu',
};

/** A Q-network with its optimiser and the DQN update as agents/dqn.ts runs it. */
interface Bench {
  net: Net;
  clone(): Net;
  /** One train step on a batch; returns the loss. */
  fit(obs: Float32Array, actions: Int32Array, targets: Float32Array, batch: number): number;
  /** The greedy action for one observation. */
  act(obs: Float32Array): number;
  dispose(): void;
}

/** Column width of the tables. */
const W = 30;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

let clock: 'cpu' | 'wall' = 'cpu';

/** Milliseconds on the chosen clock: this process's CPU time (user + system) or wall time. */
function now(): number {
  if (clock === 'wall') return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Runs fn repeatedly for at least `ms` milliseconds of the clock (and `minIters` calls); returns calls per second.
 * CPU time by default: on a shared machine, wall time mostly measures the other processes.
 */
function rate(fn: () => void, ms: number, minIters = 2): number {
  const t0 = now();
  let n = 0;
  let t = t0;
  while (n < minIters || t - t0 < ms) {
    fn();
    n++;
    t = now();
  }
  return (n * 1000) / (t - t0);
}

function parseList(args: string[], flag: string): string[] | null {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] ? args[i + 1]!.split(',') : null;
}

async function build(engine: EngineName, sizes: number[], seed: number): Promise<Bench> {
  const [obsDim, ...rest] = sizes;
  const numActions = rest.pop()!;
  const spec: NetSpec = { input: obsDim!, layers: [...rest.map((units) => ({ kind: 'dense' as const, units, activation: 'relu' as const })), { kind: 'dense', units: numActions }], seed };
  let net: Net;
  if (engine === 'plain' || engine === 'plain-js') net = new PlainNet(spec, { kernel: engine === 'plain' ? 'auto' : 'js' });
  else {
    await initBackend(engine === 'cpu' ? 'cpu' : 'wasm');
    net = createNet(spec, { engine: 'tfjs' });
  }
  const opt: Optimizer = adam([net], { learningRate: 1e-4, maxGradNorm: 10 });
  const row = new Float32Array(numActions);
  const scratch = new Map<number, { dQ: Float32Array; td: Float32Array; qTaken: Float32Array; dTaken: Float32Array }>();
  return {
    net,
    clone: () => net.clone(),
    fit(obs, actions, targets, batch) {
      let s = scratch.get(batch);
      if (!s) scratch.set(batch, (s = { dQ: new Float32Array(batch * numActions), td: new Float32Array(batch), qTaken: new Float32Array(batch), dTaken: new Float32Array(batch) }));
      const q = net.forward(obs, batch);
      const loss = dqnLoss(q, actions, targets, batch, numActions, 'huber', undefined, s.dQ, s.td, s);
      net.backward(s.dQ, batch);
      opt.step();
      return loss;
    },
    act(obs) {
      const q = net.predict(obs, 1, row);
      let best = 0;
      for (let a = 1; a < numActions; a++) if (q[a]! > q[best]!) best = a;
      return best;
    },
    dispose: () => net.dispose(),
  };
}

/** Prints the benchmark tables. */
export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  clock = args.includes('--wall') ? 'wall' : 'cpu';
  const repeats = quick ? 3 : 5;
  const ms = quick ? 80 : 150;
  const engines = (parseList(args, '--engines') ?? ALL_ENGINES) as EngineName[];
  const nets = (parseList(args, '--nets') ?? ['4-64-64-2', '4-256-256-2', '8-256-256-4']).map((s) => s.split('-').map(Number));
  const batches = (parseList(args, '--batches') ?? ['32', '64', '256']).map(Number);

  console.log(describeBackend(await initBackend('wasm')));
  console.log(`node ${process.version}; medians of ${repeats} repeats of >= ${ms} ms of ${clock === 'cpu' ? 'CPU' : 'wall'} time each\n`);
  const rng = new Rng(0);

  console.log('train steps/s (forward + Huber + backward + clip + Adam)');
  console.log(['net / batch'.padEnd(18), ...engines.map((e) => ENGINE_LABEL[e].padStart(W))].join(''));
  const actRows: string[] = [];
  const cycleRows: string[] = [];
  for (const net of nets) {
    const obsDim = net[0]!;
    const numActions = net[net.length - 1]!;
    const actCells: string[] = [];
    for (const batch of batches) {
      const obs = new Float32Array(batch * obsDim).map(() => rng.uniform(-1, 1));
      const actions = new Int32Array(batch).map(() => rng.int(numActions));
      const targets = new Float32Array(batch).map(() => rng.uniform(-1, 1));
      const cells: string[] = [];
      for (const engine of engines) {
        const q = await build(engine, net, 1);
        q.fit(obs, actions, targets, batch); // warm-up (JIT, tfjs kernels, optimiser slots)
        const runs = Array.from({ length: repeats }, () => rate(() => q.fit(obs, actions, targets, batch), ms));
        cells.push(median(runs).toFixed(0).padStart(W));
        q.dispose();
      }
      console.log([`${net.join('-')} / ${batch}`.padEnd(18), ...cells].join(''));
    }
    // Act latency and the DQN-shaped cycle do not depend on the train batch size list.
    const one = new Float32Array(obsDim).map(() => rng.uniform(-1, 1));
    const b32 = new Float32Array(32 * obsDim).map(() => rng.uniform(-1, 1));
    const a32 = new Int32Array(32).map(() => rng.int(numActions));
    const t32 = new Float32Array(32);
    const q32 = new Float32Array(32 * numActions);
    const cycleCells: string[] = [];
    for (const engine of engines) {
      const q = await build(engine, net, 2);
      const target = q.clone();
      for (let i = 0; i < 50; i++) q.act(one);
      const runs = Array.from({ length: repeats }, () => 1e6 / rate(() => q.act(one), ms / 2, 20));
      actCells.push(median(runs).toFixed(1).padStart(W));
      const cycle = () => {
        for (let k = 0; k < 4; k++) q.act(one);
        target.predict(b32, 32, q32);
        q.fit(b32, a32, t32, 32);
      };
      cycle();
      const cycles = Array.from({ length: repeats }, () => rate(cycle, ms));
      cycleCells.push((median(cycles) * 4).toFixed(0).padStart(W));
      target.dispose();
      q.dispose();
    }
    actRows.push([`${net.join('-')}`.padEnd(18), ...actCells].join(''));
    cycleRows.push([`${net.join('-')}`.padEnd(18), ...cycleCells].join(''));
  }
  console.log('\nact latency, us per call (one observation -> greedy action)');
  console.log(['net'.padEnd(18), ...engines.map((e) => ENGINE_LABEL[e].padStart(W))].join(''));
  for (const r of actRows) console.log(r);
  console.log('\nDQN cycle (4 x act, target predict 32, train step 32) as env steps/s, env excluded');
  console.log(['net'.padEnd(18), ...engines.map((e) => ENGINE_LABEL[e].padStart(W))].join(''));
  for (const r of cycleRows) console.log(r);
  console.log(`\ntensors alive at exit: ${tf.memory().numTensors}`);
}
