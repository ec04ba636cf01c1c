/** A minimal GIF decoder for tests: independent of render/gif.ts, written from the GIF89a specification. */
/** A minimal GIF decoder for the tests: header fields, the global palette, and every frame's indices. */
export function decodeGif(bytes: Uint8Array): { signature: string; width: number; height: number; palette: Uint8Array; loop: number | null; frames: { delayCs: number; indices: Uint8Array }[] } {
  const signature = String.fromCharCode(...bytes.subarray(0, 6));
  const width = bytes[6]! | (bytes[7]! << 8);
  const height = bytes[8]! | (bytes[9]! << 8);
  const packed = bytes[10]!;
  let at = 13;
  let palette = new Uint8Array(0);
  if (packed & 0x80) {
    const size = 3 * (2 << (packed & 7));
    palette = bytes.slice(at, at + size);
    at += size;
  }
  const frames: { delayCs: number; indices: Uint8Array }[] = [];
  let loop: number | null = null;
  let delayCs = 0;
  const blocks = (): Uint8Array => {
    const parts: number[] = [];
    for (let len = bytes[at++]!; len > 0; len = bytes[at++]!) {
      parts.push(...bytes.subarray(at, at + len));
      at += len;
    }
    return Uint8Array.from(parts);
  };
  for (;;) {
    const tag = bytes[at++];
    if (tag === 0x3b) break;
    if (tag === 0x21) {
      const label = bytes[at++];
      const data = blocks();
      if (label === 0xf9) delayCs = data[1]! | (data[2]! << 8);
      if (label === 0xff && String.fromCharCode(...data.subarray(0, 11)) === 'NETSCAPE2.0') loop = data[12]! | (data[13]! << 8);
    } else if (tag === 0x2c) {
      const w = bytes[at + 4]! | (bytes[at + 5]! << 8);
      const h = bytes[at + 6]! | (bytes[at + 7]! << 8);
      at += 9;
      const minCodeSize = bytes[at++]!;
      frames.push({ delayCs, indices: unlzw(blocks(), minCodeSize, w * h) });
    } else {
      throw new Error(`bad block ${tag} at ${at - 1}`);
    }
  }
  return { signature, width, height, palette, loop, frames };
}

/** The textbook GIF LZW decoder. */
export function unlzw(data: Uint8Array, minCodeSize: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  const clear = 1 << minCodeSize, eoi = clear + 1;
  let codeSize = minCodeSize + 1, next = eoi + 1, prev = -1, n = 0, bitPos = 0;
  const dict: number[][] = [];
  const reset = (): void => {
    dict.length = 0;
    for (let i = 0; i < clear; i++) dict.push([i]);
    dict.push([], []);
    codeSize = minCodeSize + 1;
    next = eoi + 1;
    prev = -1;
  };
  reset();
  for (;;) {
    let code = 0;
    for (let b = 0; b < codeSize; b++, bitPos++) code |= ((data[bitPos >> 3]! >> (bitPos & 7)) & 1) << b;
    if (code === clear) {
      reset();
      continue;
    }
    if (code === eoi) break;
    let seq: number[];
    if (prev === -1) seq = dict[code]!;
    else {
      seq = code < next ? dict[code]! : [...dict[prev]!, dict[prev]![0]!];
      if (next < 4096) dict[next++] = [...dict[prev]!, seq[0]!];
      if (next >= 1 << codeSize && codeSize < 12) codeSize++;
    }
    for (const v of seq) out[n++] = v;
    prev = code;
  }
  if (n !== count) throw new Error(`Expected ${count} indices, got ${n}.`);
  return out;
}

