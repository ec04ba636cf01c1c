/**
 * Seeded random numbers: xoshiro128** (Blackman and Vigna), seeded through splitmix32.
 * Fast (32-bit integer ops only), 128 bits of state, period 2^128 - 1, and cheap independent forks.
 * The same seed gives the same stream on every platform.
 */
import { InvalidConfig, describeValue } from './errors.js';

/** A serialisable snapshot of an `Rng` (four unsigned 32-bit words), for checkpoints. */
/**
 * A generator's state: its four xoshiro128** words (unsigned 32-bit, not all 0), and a fifth number when a second
 * normal draw is cached (the polar method makes two at a time), so that a restored generator continues exactly.
 */
export type RngState = [number, number, number, number] | [number, number, number, number, number];

/** Whether `s` is an `RngState` (the one check every reader of a saved state uses). */
export function isRngState(s: unknown): s is RngState {
  if (!Array.isArray(s) || (s.length !== 4 && s.length !== 5)) return false;
  const words = s.slice(0, 4) as unknown[];
  const wordsOk = words.every((w) => Number.isInteger(w) && (w as number) >= 0 && (w as number) <= 0xffffffff) && words.some((w) => w !== 0);
  return wordsOk && (s.length === 4 || (typeof s[4] === 'number' && Number.isFinite(s[4])));
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Validates a user seed: a non-negative safe integer. */
export function checkSeed(seed: unknown, what = 'seed'): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new InvalidConfig(`Expected ${what} to be a non-negative integer, got ${describeValue(seed)}.`);
  }
  return seed;
}

/** A fresh seed from the platform's entropy source (crypto.getRandomValues), for unseeded resets. */
export function entropySeed(): number {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return (words[0]! & 0x1fffff) * 0x100000000 + words[1]!;
}

/** A seeded pseudo-random generator. Not cryptographic. */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal = NaN;

  /** `seed` is a non-negative integer below 2^53; omit it for an entropy seed. */
  constructor(seed?: number) {
    this.reseed(seed ?? entropySeed());
  }

  /** Restarts the stream as if constructed with `seed`. */
  reseed(seed: number): void {
    checkSeed(seed);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 0x100000000) >>> 0;
    const mix = splitmix32(lo ^ Math.imul(hi, 0x9e3779b1));
    const mix2 = splitmix32(hi + 0x6a09e667);
    this.s0 = mix() ^ mix2();
    this.s1 = mix() ^ mix2();
    this.s2 = mix() ^ mix2();
    this.s3 = mix() ^ mix2();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spareNormal = NaN;
  }

  /** A uniform unsigned 32-bit integer. */
  uint32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 = s2 ^ s0;
    this.s3 = s3 ^ s1;
    this.s1 = s1 ^ this.s2;
    this.s0 = s0 ^ this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** A uniform float64 in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform float64 in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.float();
  }

  /**
   * Writes `count` uniform draws in [low, high) into `out` from `offset`; the same draws as calling
   * `uniform(low, high)` that many times. Allocation-free: no number is boxed on the way (hot reset paths).
   */
  fillUniform(out: Float64Array | Float32Array, low: number, high: number, offset = 0, count = out.length - offset): void {
    const span = high - low;
    // float() written out over uint32() (same draws): a double returned from a call that V8 does not inline
    // is boxed, a heap number per draw, and vector envs reset here every episode.
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0; i < count; i++) {
      let hi = 0, lo = 0;
      for (let k = 0; k < 2; k++) {
        const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        const t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = rotl(s3, 11);
        if (k === 0) hi = r >>> 5;
        else lo = r >>> 6;
      }
      out[offset + i] = low + span * ((hi * 67108864 + lo) / 9007199254740992);
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** A uniform integer in [0, n), without modulo bias. `n` is a positive integer up to 2^32. */
  int(n: number): number {
    if (n <= 0x100000000 && (n & (n - 1)) === 0 && n > 0) {
      return n === 0x100000000 ? this.uint32() : this.uint32() & (n - 1);
    }
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.uint32();
    while (x >= limit) x = this.uint32();
    return x % n;
  }

  /** A standard normal draw (Marsaglia polar method; caches the second value). */
  normal(mean = 0, std = 1): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = NaN;
      return mean + std * z;
    }
    let u: number, v: number, s: number;
    do {
      u = this.float() * 2 - 1;
      v = this.float() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return mean + std * u * f;
  }

  /** A new generator whose stream is independent of this one's (seeded from this stream). */
  fork(): Rng {
    const child = new Rng(0);
    child.s0 = this.uint32() ^ 0x243f6a88;
    child.s1 = this.uint32() ^ 0x85a308d3;
    child.s2 = this.uint32() ^ 0x13198a2e;
    child.s3 = this.uint32() ^ 0x03707344;
    if ((child.s0 | child.s1 | child.s2 | child.s3) === 0) child.s0 = 1;
    return child;
  }

  /** A copy of the state, for checkpoints. */
  getState(): RngState {
    const words: [number, number, number, number] = [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
    return Number.isNaN(this.spareNormal) ? words : [...words, this.spareNormal];
  }

  /** Restores a state from `getState()`. */
  setState(state: RngState): void {
    if (!isRngState(state)) {
      throw new InvalidConfig(`Expected an rng state of four unsigned 32-bit integers, not all 0 (and a cached normal draw), got ${describeValue(state)}.`);
    }
    [this.s0, this.s1, this.s2, this.s3] = state;
    this.spareNormal = state.length === 5 ? state[4] : NaN;
  }

  /** A generator restored from `getState()`. */
  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
