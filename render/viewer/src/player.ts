/**
 * Playback of a recorded episode as a small state machine, independent of the DOM: a frame index, play and
 * pause, single steps, a speed, and `advance(ms)` that turns elapsed wall time into frames.
 */

/** Playback speeds the viewer offers (x real time). */
export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16] as const;

/** The playback state of one episode. */
export class Player {
  /** Current frame, 0 .. frameCount - 1. */
  index = 0;
  playing = false;
  /** x real time. */
  speed = 1;
  /** Whether playback starts over at the end instead of stopping. */
  loop = false;
  private carry = 0;

  constructor(
    /** Number of frames. */
    public frameCount: number,
    /** Frames per second at speed 1. */
    public fps: number,
  ) {}

  /** Points at another episode and stops. */
  load(frameCount: number, fps: number): void {
    this.frameCount = frameCount;
    this.fps = fps > 0 ? fps : 30;
    this.index = 0;
    this.playing = false;
    this.carry = 0;
  }

  /** Jumps to `index`, clamped to the episode. */
  seek(index: number): void {
    this.index = Math.min(Math.max(0, Math.round(index)), Math.max(0, this.frameCount - 1));
    this.carry = 0;
  }

  /** Moves `delta` frames (a single step pauses playback, as in video players). */
  step(delta: number): void {
    this.playing = false;
    this.seek(this.index + delta);
  }

  /** Toggles play/pause; playing from the last frame starts over. */
  toggle(): void {
    if (!this.playing && this.index >= this.frameCount - 1) this.seek(0);
    this.playing = !this.playing && this.frameCount > 1;
    this.carry = 0;
  }

  /** Advances by `ms` of wall time while playing; returns whether the frame changed. */
  advance(ms: number): boolean {
    if (!this.playing || this.frameCount <= 1) return false;
    this.carry += (ms / 1000) * this.fps * this.speed;
    const whole = Math.floor(this.carry);
    if (whole === 0) return false;
    this.carry -= whole;
    const last = this.frameCount - 1;
    let next = this.index + whole;
    if (next > last) {
      if (this.loop) next %= this.frameCount;
      else {
        next = last;
        this.playing = false;
      }
    }
    const changed = next !== this.index;
    this.index = next;
    return changed;
  }

  /** Next or previous speed in `SPEEDS`. */
  nudgeSpeed(direction: 1 | -1): void {
    const i = SPEEDS.findIndex((s) => s >= this.speed);
    const at = i === -1 ? SPEEDS.length - 1 : i;
    this.speed = SPEEDS[Math.min(Math.max(at + direction, 0), SPEEDS.length - 1)]!;
  }
}
