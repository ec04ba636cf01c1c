import { BaseEnv, box, discrete, type ResetArgs, type Scene } from 'rxgym/core';

/** Walk a corridor of `length` cells to the exit on the right: -0.01 per step, +1 on reaching it. */
export class Corridor extends BaseEnv<Float32Array, number> {
  readonly observationSpace = box({ low: 0, high: 1, shape: [1] });
  readonly actionSpace = discrete(2); // 0: left, 1: right
  readonly length: number;
  private pos = 0;

  constructor({ length = 8 }: { length?: number } = {}) {
    super();
    this.length = length;
  }
  reset({ seed }: ResetArgs = {}) {
    this.seedRng(seed);
    this.pos = this.rng.int(this.length - 1); // any cell but the exit
    return { obs: this.observe(), info: {} };
  }
  step(action: number) {
    this.pos = Math.max(0, Math.min(this.length - 1, this.pos + (action === 1 ? 1 : -1)));
    const done = this.pos === this.length - 1;
    return { obs: this.observe(), reward: done ? 1 : -0.01, terminated: done, truncated: false, info: {} };
  }
  scene(): Scene {
    const cells = Array.from({ length: this.length }, (_, i) => ({ type: 'rect' as const, x: i + 0.5, y: 0.5, width: 0.9, height: 0.9, fill: i === this.length - 1 ? '#4caf50' : '#dddddd' }));
    return { width: 40 * this.length, height: 40, viewport: { xMin: 0, xMax: this.length, yMin: 0, yMax: 1 }, shapes: [...cells, { type: 'circle', x: this.pos + 0.5, y: 0.5, radius: 0.35, fill: '#1e88e5' }] };
  }
  private observe() { return new Float32Array([this.pos / (this.length - 1)]); }
}
