/**
 * A small animated GIF (GIF89a) encoder for RGB frames: one global 256-colour palette (a fixed 6x7x6 colour
 * cube, or median cut over sample frames), LZW-compressed full frames, looping forever by default.
 * Scenes are flat-coloured, so a palette of 256 loses little, and frames stay small after LZW.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';

/** A palette: 256 RGB triples (768 bytes). */
export type Palette = Uint8Array;

/** A fixed palette: a 6 (red) x 7 (green) x 6 (blue) colour cube with exact black and white, then 4 greys. */
export function fixedPalette(): Palette {
  const p = new Uint8Array(768);
  let i = 0;
  for (let r = 0; r < 6; r++) for (let g = 0; g < 7; g++) for (let b = 0; b < 6; b++) {
    p[i++] = Math.round((r * 255) / 5);
    p[i++] = Math.round((g * 255) / 6);
    p[i++] = Math.round((b * 255) / 5);
  }
  for (const v of [64, 128, 192, 224]) {
    p[i++] = v;
    p[i++] = v;
    p[i++] = v;
  }
  return p;
}

/**
 * A median-cut palette of the colours in `frames` (RGB, 3 bytes per pixel): the 5-5-5-bit colour histogram
 * is split at the pixel-count median of its widest channel until there are 256 boxes, each giving its mean.
 */
export function medianCutPalette(frames: readonly Uint8Array[]): Palette {
  const hist = new Uint32Array(32768);
  for (const f of frames) for (let i = 0; i + 2 < f.length; i += 3) hist[((f[i]! >> 3) << 10) | ((f[i + 1]! >> 3) << 5) | (f[i + 2]! >> 3)]!++;
  const colors: number[] = [];
  for (let c = 0; c < 32768; c++) if (hist[c]! > 0) colors.push(c);
  const channel = (c: number, ch: number): number => (c >> (10 - 5 * ch)) & 31;
  let boxes: number[][] = [colors];
  while (boxes.length < 256) {
    // Split the box with the widest channel range (ties: most pixels); stop when every box is one colour.
    let best = -1, bestRange = 0, bestCh = 0;
    boxes.forEach((box, b) => {
      if (box.length < 2) return;
      for (let ch = 0; ch < 3; ch++) {
        let lo = 31, hi = 0;
        for (const c of box) {
          const v = channel(c, ch);
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        if (hi - lo > bestRange) {
          bestRange = hi - lo;
          best = b;
          bestCh = ch;
        }
      }
    });
    if (best < 0) break;
    const box = boxes[best]!.sort((a, b) => channel(a, bestCh) - channel(b, bestCh));
    let total = 0;
    for (const c of box) total += hist[c]!;
    let acc = 0, cut = 1;
    for (let k = 0; k < box.length - 1; k++) {
      acc += hist[box[k]!]!;
      cut = k + 1;
      if (acc >= total / 2) break;
    }
    boxes = [...boxes.slice(0, best), box.slice(0, cut), box.slice(cut), ...boxes.slice(best + 1)];
  }
  const p = new Uint8Array(768);
  boxes.forEach((box, b) => {
    let n = 0, r = 0, g = 0, bl = 0;
    for (const c of box) {
      const w = hist[c]!;
      n += w;
      r += w * channel(c, 0);
      g += w * channel(c, 1);
      bl += w * channel(c, 2);
    }
    // Bin centres back to 8 bits; 31 maps to 255 so white and black stay exact.
    const to8 = (v: number): number => Math.round(((v / n) * 255) / 31);
    if (n > 0) p.set([to8(r), to8(g), to8(bl)], b * 3);
  });
  return p;
}

/** Options of `GifEncoder`. */
export interface GifOptions {
  width: number;
  height: number;
  /** 768 bytes of RGB triples; default `fixedPalette()`. */
  palette?: Palette;
  /** Times to play; 0 (default) loops forever. */
  loop?: number;
}

/** Streams RGB frames into an animated GIF held in memory. */
export class GifEncoder {
  readonly width: number;
  readonly height: number;
  private readonly palette: Palette;
  private readonly chunks: Uint8Array[] = [];
  /** Palette index of each 5-5-5-bit colour, -1 until first needed. */
  private readonly nearest = new Int16Array(32768).fill(-1);
  private readonly indices: Uint8Array;
  private frameCount = 0;

  constructor(options: GifOptions) {
    const { width, height } = options;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535) {
      throw new InvalidConfig(`Expected GIF width and height to be integers from 1 to 65535, got ${describeValue(width)} x ${describeValue(height)}.`);
    }
    this.palette = options.palette ?? fixedPalette();
    if (this.palette.length !== 768) throw new InvalidConfig(`Expected a GIF palette of 768 bytes (256 RGB colours), got ${this.palette.length}.`);
    this.width = width;
    this.height = height;
    this.indices = new Uint8Array(width * height);
    const head = new Uint8Array(13 + 768 + 19);
    head.set([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]); // GIF89a
    head.set([width & 255, width >> 8, height & 255, height >> 8, 0xf7, 0, 0], 6); // global table of 256, 8-bit
    head.set(this.palette, 13);
    const loop = options.loop ?? 0;
    // NETSCAPE2.0 application extension: the loop count.
    head.set([0x21, 0xff, 0x0b, ...Array.from('NETSCAPE2.0', (c) => c.charCodeAt(0)), 0x03, 0x01, loop & 255, (loop >> 8) & 255, 0], 13 + 768);
    this.chunks.push(head);
  }

  /** Number of frames added so far. */
  get frames(): number {
    return this.frameCount;
  }

  /** Adds one frame of `height * width * 3` RGB bytes shown for `delayMs` (rounded to 10 ms, GIF's unit). */
  addFrame(rgb: Uint8Array, delayMs: number): void {
    const n = this.width * this.height;
    if (rgb.length !== n * 3) throw new InvalidConfig(`Expected a GIF frame of ${n * 3} RGB bytes (${this.height}x${this.width}x3), got ${rgb.length}.`);
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const key = ((rgb[j]! >> 3) << 10) | ((rgb[j + 1]! >> 3) << 5) | (rgb[j + 2]! >> 3);
      let idx = this.nearest[key]!;
      if (idx < 0) idx = this.nearest[key] = this.closest(rgb[j]!, rgb[j + 1]!, rgb[j + 2]!);
      this.indices[i] = idx;
    }
    const delay = Math.max(0, Math.round(delayMs / 10));
    const head = new Uint8Array(8 + 10 + 1);
    // Graphic control extension: disposal 1 (leave in place), the delay, no transparency.
    head.set([0x21, 0xf9, 0x04, 0x04, delay & 255, (delay >> 8) & 255, 0, 0]);
    // Image descriptor: the whole canvas, no local palette; then the LZW minimum code size.
    head.set([0x2c, 0, 0, 0, 0, this.width & 255, this.width >> 8, this.height & 255, this.height >> 8, 0], 8);
    head[18] = 8;
    this.chunks.push(head, subBlocks(lzw(this.indices)));
    this.frameCount++;
  }

  /** The whole file (with its trailer); the encoder can take no more frames after this. */
  finish(): Uint8Array {
    this.chunks.push(Uint8Array.of(0x3b));
    let size = 0;
    for (const c of this.chunks) size += c.length;
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  private closest(r: number, g: number, b: number): number {
    let best = 0, bestD = Infinity;
    const p = this.palette;
    for (let k = 0; k < 256; k++) {
      const dr = p[3 * k]! - r, dg = p[3 * k + 1]! - g, db = p[3 * k + 2]! - b;
      const d = 2 * dr * dr + 4 * dg * dg + 3 * db * db; // a rough perceptual weighting
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return best;
  }
}

/** Splits bytes into GIF data sub-blocks (a length byte, up to 255 bytes) ending with a zero block. */
function subBlocks(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + Math.ceil(data.length / 255) + 1);
  let at = 0;
  for (let i = 0; i < data.length; i += 255) {
    const len = Math.min(255, data.length - i);
    out[at++] = len;
    out.set(data.subarray(i, i + len), at);
    at += len;
  }
  out[at] = 0;
  return out;
}

/** Dictionary of (prefix code, next index) -> code, reset at every clear code. */
const table = new Int16Array(4096 * 256);

/** GIF-flavoured LZW of 8-bit indices: variable code size from 9 to 12 bits, a clear code when the table fills. */
export function lzw(indices: Uint8Array): Uint8Array {
  const CLEAR = 256, EOI = 257;
  let out = new Uint8Array(Math.max(1024, indices.length >> 1));
  let at = 0, bits = 0, acc = 0, codeSize = 9, next = EOI + 1;
  const emit = (code: number): void => {
    acc |= code << bits;
    bits += codeSize;
    while (bits >= 8) {
      if (at === out.length) {
        const grown = new Uint8Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      out[at++] = acc & 255;
      acc >>>= 8;
      bits -= 8;
    }
  };
  table.fill(-1);
  emit(CLEAR);
  if (indices.length === 0) {
    emit(EOI);
  } else {
    let prefix = indices[0]!;
    for (let i = 1; i < indices.length; i++) {
      const k = indices[i]!;
      const key = prefix * 256 + k;
      const code = table[key]!;
      if (code >= 0) {
        prefix = code;
        continue;
      }
      emit(prefix);
      if (next === 4096) {
        emit(CLEAR);
        table.fill(-1);
        codeSize = 9;
        next = EOI + 1;
      } else {
        // The decoder adds each entry one code later, so widen before this entry, as decoders expect.
        if (next >= 1 << codeSize) codeSize++;
        table[key] = next++;
      }
      prefix = k;
    }
    emit(prefix);
    emit(EOI);
  }
  if (bits > 0) {
    if (at === out.length) {
      const grown = new Uint8Array(out.length + 1);
      grown.set(out);
      out = grown;
    }
    out[at++] = acc & 255;
  }
  return out.subarray(0, at);
}
