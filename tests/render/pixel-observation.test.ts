import { describe, expect, it } from 'vitest';
import { BaseEnv, type ResetResult, type StepResult } from '../../core/env.js';
import { InvalidConfig } from '../../core/errors.js';
import { box, contains, discrete } from '../../core/spaces.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { PixelObservation } from '../../render/pixel-observation.js';

/** Mean column and row of the dark (cart-black) pixels of an RGB frame. */
function darkCentroid(px: Uint8Array, width: number): { x: number; y: number; n: number } {
  let sx = 0, sy = 0, n = 0;
  for (let i = 0; i < px.length / 3; i++) {
    if (px[i * 3]! < 60 && px[i * 3 + 1]! < 60 && px[i * 3 + 2]! < 60) {
      sx += i % width;
      sy += Math.floor(i / width);
      n++;
    }
  }
  return { x: sx / n, y: sy / n, n };
}

/** Mean column of the pole's pixels (#ca9865) in the rows above the cart. */
function poleColumns(px: Uint8Array, width: number, rows: [number, number]): number[] {
  const cols: number[] = [];
  for (let y = rows[0]; y < rows[1]; y++) {
    let sx = 0, n = 0;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (Math.abs(px[i]! - 0xca) < 30 && Math.abs(px[i + 1]! - 0x98) < 30 && Math.abs(px[i + 2]! - 0x65) < 30) {
        sx += x;
        n++;
      }
    }
    if (n > 0) cols.push(sx / n);
  }
  return cols;
}

class NoScene extends BaseEnv<Float32Array, number> {
  observationSpace = box({ low: -1, high: 1, shape: [2] });
  actionSpace = discrete(2);
  reset(): ResetResult<Float32Array> {
    return { obs: new Float32Array(2), info: {} };
  }
  step(): StepResult<Float32Array> {
    return { obs: new Float32Array(2), reward: 0, terminated: false, truncated: false, info: {} };
  }
}

describe('PixelObservation', () => {
  it('observes CartPole as uint8 [84, 84, 3] frames inside its Box', () => {
    const env = new PixelObservation(make('CartPole-v1'), { width: 84, height: 84 });
    expect(env.observationSpace).toMatchObject({ kind: 'box', shape: [84, 84, 3], dtype: 'uint8' });
    const { obs } = env.reset({ seed: 0 });
    expect(obs).toBeInstanceOf(Uint8Array);
    expect(obs.length).toBe(84 * 84 * 3);
    expect(contains(env.observationSpace, obs)).toBe(true);
    const step = env.step(1);
    expect(step.obs).not.toBe(obs);
    expect(step.reward).toBe(1);
    env.close();
  });

  it('moves the cart to the right when the state x increases, and tilts the pole with theta', () => {
    const env = new PixelObservation(make('CartPole-v1'), { width: 120, height: 80 });
    const at = (state: number[]): Uint8Array => env.reset({ options: { state } }).obs;
    const left = darkCentroid(at([-1, 0, 0, 0]), 120);
    const mid = darkCentroid(at([0, 0, 0, 0]), 120);
    const right = darkCentroid(at([1, 0, 0, 0]), 120);
    // The viewport spans x in [-2.4, 2.4] over 120 columns: 25 columns per metre.
    expect(mid.x).toBeCloseTo(59.5, 0);
    expect(right.x - mid.x).toBeCloseTo(25, 0);
    expect(mid.x - left.x).toBeCloseTo(25, 0);
    // The cart sits on the track a quarter of the way up the frame (y up: world y = 0 is row 60).
    expect(Math.abs(mid.y - 60)).toBeLessThan(3);
    // Upright pole: same column all the way up. Positive theta leans it right (clockwise), as in Gymnasium.
    const upright = poleColumns(at([0, 0, 0, 0]), 120, [30, 55]);
    expect(Math.max(...upright) - Math.min(...upright)).toBeLessThan(1);
    const leaning = poleColumns(at([0, 0, 0.2, 0]), 120, [30, 55]);
    expect(leaning[0]!).toBeGreaterThan(leaning[leaning.length - 1]! + 3);
    const leaningLeft = poleColumns(at([0, 0, -0.2, 0]), 120, [30, 55]);
    expect(leaningLeft[0]!).toBeLessThan(leaningLeft[leaningLeft.length - 1]! - 3);
    env.close();
  });

  it('gives grayscale [H, W, 1] frames with luminance weights', () => {
    const env = new PixelObservation(make('CartPole-v1'), { width: 40, height: 30, grayscale: true });
    expect(env.observationSpace).toMatchObject({ kind: 'box', shape: [30, 40, 1], dtype: 'uint8' });
    const { obs } = env.reset({ seed: 0 });
    expect(obs.length).toBe(40 * 30);
    expect(obs[0]).toBe(255); // white background corner
    expect(Math.min(...obs)).toBeLessThan(20); // the black cart
    env.close();
  });

  it("gives { pixels, state } in 'pixels+state' mode", () => {
    const env = new PixelObservation(make('CartPole-v1'), { width: 32, height: 32, mode: 'pixels+state' });
    expect(env.observationSpace.kind).toBe('dict');
    const { obs } = env.reset({ options: { state: [0.5, 0, 0, 0] } });
    expect(obs.pixels.length).toBe(32 * 32 * 3);
    expect(Array.from(obs.state)).toEqual([0.5, 0, 0, 0]);
    expect(contains(env.observationSpace, obs)).toBe(true);
    env.close();
  });

  it('throws InvalidConfig naming the env when it has no scene()', () => {
    expect(() => new PixelObservation(new NoScene())).toThrow(InvalidConfig);
    expect(() => new PixelObservation(new NoScene())).toThrow(
      'Expected an environment with scene() for PixelObservation, got NoScene (NoScene) without one: implement scene() to make it drawable.',
    );
    // @ts-expect-error: an unknown mode is a type error and a run-time error
    expect(() => new PixelObservation(make('CartPole-v1'), { mode: 'rgb' })).toThrow("Expected PixelObservation mode 'pixels' or 'pixels+state', got \"rgb\".");
  });
});
