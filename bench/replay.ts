/**
 * Replay benchmarks: memory per transition for 1M CartPole transitions (obsDim 4, discrete actions),
 * add throughput and sample throughput (batches of 64 and 256) for the uniform and prioritized buffers.
 * Each timing is the median of 5 runs. `npm run bench -- replay [--capacity N]`.
 */
import { Rng } from '../core/rng.js';
import { PrioritizedReplayBuffer, ReplayBuffer } from '../replay/index.js';

const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(1);
}

type Buffer = ReplayBuffer<'discrete'>;

/** Adds `n` CartPole-shaped transitions (4 floats, action 0/1, reward 1, episodes of 200 steps). */
function fill(buffer: Buffer, n: number): void {
  const obs = new Float32Array(4);
  const next = new Float32Array(4);
  for (let t = 0; t < n; t++) {
    obs[0] = t * 1e-6;
    next[0] = obs[0] + 1e-6;
    obs[2] = next[2] = (t & 7) * 0.01;
    buffer.add(obs, t & 1, 1, next, t % 200 === 199, false);
  }
}

/** A rate per wall-clock second and per CPU second of this process (the machine may be shared). */
interface Rate {
  wall: number;
  cpu: number;
}

function measure(count: number, body: () => void): Rate {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  body();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall: (count / wall) * 1000, cpu: (count / ((c.user + c.system) / 1000)) * 1000 };
}

function medianRate(rates: Rate[]): Rate {
  return { wall: median(rates.map((r) => r.wall)), cpu: median(rates.map((r) => r.cpu)) };
}

function fmtRate(r: Rate, unit = '/s'): string {
  return `${fmt(r.wall)}${unit} wall, ${fmt(r.cpu)}${unit} per CPU-second`;
}

function timeAdds(make: () => Buffer, n: number): { rate: Rate; buffer: Buffer } {
  const rates: Rate[] = [];
  let buffer = make();
  for (let r = 0; r < RUNS; r++) {
    buffer = make();
    const b = buffer;
    rates.push(measure(n, () => fill(b, n)));
  }
  return { rate: medianRate(rates), buffer };
}

function timeSamples(buffer: Buffer, batchSize: number, batches: number): Rate {
  const rng = new Rng(0);
  const batch = buffer.createBatch(batchSize);
  for (let k = 0; k < 100; k++) buffer.sampleInto(batch, rng); // warm-up
  const rates: Rate[] = [];
  for (let r = 0; r < RUNS; r++) {
    rates.push(measure(batches, () => {
      for (let k = 0; k < batches; k++) buffer.sampleInto(batch, rng);
    }));
  }
  return medianRate(rates);
}

/** Prints memory, add and sample figures. */
export async function main(args: string[]): Promise<void> {
  const i = args.indexOf('--capacity');
  const capacity = i >= 0 ? Number(args[i + 1]) : 1_000_000;
  console.log(`replay benchmark: ${fmt(capacity)} CartPole transitions (obsDim 4, discrete), Node ${process.version}, medians of ${RUNS} runs`);

  // ---- memory --------------------------------------------------------------------------------------
  console.log('\nmemory per transition');
  // Earlier buffers stay referenced so a collection during a later measurement cannot shrink its delta.
  const keep: Buffer[] = [];
  for (const [name, make] of [
    ['uniform', () => new ReplayBuffer({ capacity, obsDim: 4, actionKind: 'discrete' })],
    ['uniform n-step 3', () => new ReplayBuffer({ capacity, obsDim: 4, actionKind: 'discrete', nStep: 3, gamma: 0.99 })],
    ['prioritized', () => new PrioritizedReplayBuffer({ capacity, obsDim: 4, actionKind: 'discrete' })],
  ] as const) {
    const before = process.memoryUsage().arrayBuffers;
    const buffer: Buffer = make();
    keep.push(buffer);
    const allocatedDelta = process.memoryUsage().arrayBuffers - before;
    fill(buffer, capacity);
    const filledDelta = process.memoryUsage().arrayBuffers - before;
    const raw = buffer.bytesPerTransition;
    const arrays = buffer.byteLength / capacity;
    console.log(
      `  ${name.padEnd(18)} raw fields ${raw} B | typed arrays ${arrays.toFixed(2)} B (${(arrays / raw).toFixed(3)}x) | ` +
        `arrayBuffers delta after construct ${(allocatedDelta / capacity).toFixed(2)} B, after ${fmt(capacity)} adds ${(filledDelta / capacity).toFixed(2)} B (${(filledDelta / capacity / raw).toFixed(3)}x)`,
    );
  }

  keep.length = 0;

  // ---- add -----------------------------------------------------------------------------------------
  console.log('\nadd throughput (transitions/s, filling the whole buffer)');
  const uniform = timeAdds(() => new ReplayBuffer({ capacity, obsDim: 4, actionKind: 'discrete' }), capacity);
  console.log(`  uniform            ${fmtRate(uniform.rate)}`);
  const nstep = timeAdds(() => new ReplayBuffer({ capacity, obsDim: 4, actionKind: 'discrete', nStep: 3, gamma: 0.99 }), capacity);
  console.log(`  uniform n-step 3   ${fmtRate(nstep.rate)}`);
  const per = timeAdds(() => new PrioritizedReplayBuffer({ capacity, obsDim: 4, actionKind: 'discrete' }), capacity);
  console.log(`  prioritized        ${fmtRate(per.rate)}`);

  // ---- sample --------------------------------------------------------------------------------------
  console.log(`\nsample throughput (batches/s from a full ${fmt(capacity)} buffer, sampleInto a reused batch)`);
  for (const batchSize of [64, 256]) {
    const batches = batchSize === 64 ? 8_000 : 2_000;
    const u = timeSamples(uniform.buffer, batchSize, batches);
    const p = timeSamples(per.buffer, batchSize, batches);
    console.log(`  batch ${String(batchSize).padEnd(4)} uniform     ${fmtRate(u, ' batches/s')} (${fmt(u.cpu * batchSize)} transitions per CPU-second)`);
    console.log(`  batch ${String(batchSize).padEnd(4)} prioritized ${fmtRate(p, ' batches/s')} (${fmt(p.cpu * batchSize)} transitions per CPU-second)`);
  }
  // Priority updates as DQN does them after each batch of 64.
  const prioritized = per.buffer as PrioritizedReplayBuffer<'discrete'>;
  const rng = new Rng(1);
  const batch = prioritized.createBatch(64);
  const tds = new Float64Array(64);
  const rates: Rate[] = [];
  for (let r = 0; r < RUNS; r++) {
    rates.push(measure(4_000, () => {
      for (let k = 0; k < 4_000; k++) {
        prioritized.sampleInto(batch, rng);
        for (let j = 0; j < 64; j++) tds[j] = rng.float() * 2;
        prioritized.updatePriorities(batch.indices, tds);
      }
    }));
  }
  console.log(`  prioritized sampleInto + updatePriorities, batch 64: ${fmtRate(medianRate(rates), ' batches/s')}`);
}
