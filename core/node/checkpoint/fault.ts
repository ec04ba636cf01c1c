/**
 * Kill points for fault-injection tests (tests/faults, `npm run bench -- faults`); they exist for nothing else.
 * With `RXGYM_FAULT_KILL=<stage>:<n>` in the environment, the process SIGKILLs itself the n-th time it reaches
 * `<stage>`, so a test can kill a real training run at one exact point of a file write. Without the variable every
 * point costs one check. The variable is read once, when this module loads.
 *
 * Stages: each of `CHECKPOINT_STAGES` (any checkpoint write; `checkpoint.<stage>` counts only writes to a folder
 * other than final/, `final.<stage>` only writes to final/), `replay` (a replay save, between its binaries and its
 * header; counted in replay/node/files.ts), `metrics` (a metrics append: half of it is written, cutting a line)
 * and `config` (config.json of a new run: its temp file is half written and never renamed).
 */
import { InvalidConfig, describeValue } from '../../errors.js';

/** The points of a checkpoint write at which `faultAt` is called, in order (tests use it to simulate a kill). */
export const CHECKPOINT_STAGES = ['temp', 'tensors', 'state', 'extra', 'manifest', 'backup', 'swap', 'cleanup'] as const;
export type CheckpointStage = (typeof CHECKPOINT_STAGES)[number];

/** The environment variable that arms a kill point. */
export const FAULT_ENV = 'RXGYM_FAULT_KILL';

/** Every stage name `RXGYM_FAULT_KILL` accepts. */
export const FAULT_STAGES: readonly string[] = [
  ...CHECKPOINT_STAGES,
  ...CHECKPOINT_STAGES.map((s) => `checkpoint.${s}`),
  ...CHECKPOINT_STAGES.map((s) => `final.${s}`),
  'replay',
  'metrics',
  'config',
];

/** An armed kill point: the `n`-th time (from 1) the process reaches `stage`. */
export interface FaultSpec {
  stage: string;
  n: number;
}

/** Parses `<stage>:<n>` (undefined or '' gives null); throws `InvalidConfig` naming the variable on anything else. */
export function parseFaultSpec(text: string | undefined): FaultSpec | null {
  if (text === undefined || text === '') return null;
  const m = /^([a-z.]+):([1-9]\d{0,8})$/.exec(text);
  if (!m || !FAULT_STAGES.includes(m[1]!)) {
    throw new InvalidConfig(`Expected ${FAULT_ENV} to be <stage>:<n> with a stage among ${FAULT_STAGES.join(', ')} and n >= 1, got ${describeValue(text)}.`);
  }
  return { stage: m[1]!, n: Number(m[2]) };
}

const armed = parseFaultSpec(process.env[FAULT_ENV]);
let hits = 0;

/**
 * Counts a visit of the armed stage when it is one of `names` and returns true on its n-th visit (the caller then
 * damages what it wants and calls `killNow()`); false always when nothing is armed.
 */
export function faultHit(...names: string[]): boolean {
  if (armed === null) return false;
  return names.includes(armed.stage) && ++hits === armed.n;
}

/** SIGKILLs this process: no handler, no exit hook and no pending write runs after it. */
export function killNow(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL to oneself is delivered before kill() returns; this only satisfies the `never` type.
  throw new Error('SIGKILL did not end the process');
}

/** A kill point: `killNow()` on the armed stage's n-th visit. */
export function faultPoint(...names: string[]): void {
  if (faultHit(...names)) killNow();
}

/** The `faultAt` of a checkpoint write (to final/ when `isFinal`) when a stage is armed, else undefined. */
export function checkpointFaults(isFinal: boolean): ((stage: CheckpointStage) => void) | undefined {
  if (armed === null) return undefined;
  const where = isFinal ? 'final' : 'checkpoint';
  return (stage) => faultPoint(stage, `${where}.${stage}`);
}
