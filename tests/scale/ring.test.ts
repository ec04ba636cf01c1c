/** The SharedArrayBuffer byte ring of the thread actors: order, wrap-around, backpressure, a worker producer. */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { ByteRing, createRing, RING_SLOT, ringCapacityFor, ringRecordBytes } from '../../scale/ring.js';

/** A message of `n` bytes whose content says which message it is. */
function message(i: number, n: number): Uint8Array {
  const m = new Uint8Array(n);
  for (let j = 0; j < n; j++) m[j] = (i * 31 + j) & 255;
  return m;
}

function expectMessage(got: ArrayBuffer | null, i: number, n: number): void {
  expect(got).not.toBeNull();
  expect(Array.from(new Uint8Array(got!))).toEqual(Array.from(message(i, n)));
}

describe('ByteRing', () => {
  it('passes many messages of varied sizes in order through a small ring, wrapping many times', () => {
    const ring = new ByteRing(createRing(256));
    const sizes = [0, 1, 3, 4, 5, 17, 63, 100, 128, 200, 252];
    let written = 0, read = 0;
    while (read < 2000) {
      while (written < 2000 && ring.tryWrite(message(written, sizes[written % sizes.length]!))) written++;
      const m = ring.read();
      expectMessage(m, read, sizes[read % sizes.length]!);
      read++;
    }
    expect(ring.read()).toBeNull();
    expect(ring.used).toBe(0);
  });

  it('splits a payload across the end of the ring and reads it back whole', () => {
    const ring = new ByteRing(createRing(64));
    expect(ring.tryWrite(message(0, 40))).toBe(true); // 44 bytes: positions 0-43
    expectMessage(ring.read(), 0, 40);
    // Next record starts at 44: the length at 44, the payload 48-63 then 0-23.
    expect(ring.tryWrite(message(1, 40))).toBe(true);
    expectMessage(ring.read(), 1, 40);
    expect(ring.read()).toBeNull();
  });

  it('keeps working when the head and tail counters wrap past 2^31 and 2^32', () => {
    const buffer = createRing(128);
    const control = new Int32Array(buffer, 0, 4);
    control[RING_SLOT.head] = 0x7fffffe0; // near the Int32 overflow, at the same position as the tail
    control[RING_SLOT.tail] = 0x7fffffe0;
    const ring = new ByteRing(buffer);
    for (let i = 0; i < 300; i++) {
      expect(ring.tryWrite(message(i, 50))).toBe(true);
      expect(ring.tryWrite(message(i + 1, 50))).toBe(true);
      expect(ring.used).toBe(2 * ringRecordBytes(50));
      expect(ring.tryWrite(message(i + 2, 50))).toBe(false); // 162 of 128 bytes: full, across the overflow too
      expectMessage(ring.read(), i, 50);
      expectMessage(ring.read(), i + 1, 50);
    }
    expect(control[RING_SLOT.head]! < 0).toBe(true); // went past 2^31 into negative Int32s
    control[RING_SLOT.head] = -16; // and past 2^32 back to 0
    control[RING_SLOT.tail] = -16;
    for (let i = 0; i < 10; i++) {
      expect(ring.tryWrite(message(i, 30))).toBe(true);
      expectMessage(ring.read(), i, 30);
    }
  });

  it('refuses a write into a full ring until the consumer reads, and takes it then', () => {
    const ring = new ByteRing(createRing(64));
    expect(ring.tryWrite(message(0, 28))).toBe(true); // 32 bytes
    expect(ring.tryWrite(message(1, 28))).toBe(true); // 64: full
    expect(ring.tryWrite(message(2, 1))).toBe(false);
    expect(ring.used).toBe(64);
    expectMessage(ring.read(), 0, 28);
    expect(ring.tryWrite(message(2, 28))).toBe(true);
    expectMessage(ring.read(), 1, 28);
    expectMessage(ring.read(), 2, 28);
  });

  it('makes a waiting write resolve once the consumer reads, and give up when told to stop', async () => {
    const ring = new ByteRing(createRing(64));
    ring.tryWrite(message(0, 60));
    let done = false;
    // A minute between polls: only the consumer's notify can end this wait in time.
    const pending = ring.write(message(1, 60), () => false, 60_000).then((ok) => ((done = true), ok));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    expectMessage(ring.read(), 0, 60);
    expect(await Promise.race([pending, new Promise((r) => setTimeout(() => r('late'), 1000))])).toBe(true);
    expectMessage(ring.read(), 1, 60);
    ring.tryWrite(message(2, 60));
    let stop = false;
    const stopped = ring.write(message(3, 60), () => stop, 5);
    setTimeout(() => (stop = true), 20);
    expect(await stopped).toBe(false);
  });

  it('refuses a message larger than the ring with a typed error naming the limit', () => {
    const ring = new ByteRing(createRing(64));
    expect(ring.maxMessageBytes).toBe(60);
    expect(ring.tryWrite(message(0, 60))).toBe(true);
    expect(() => ring.tryWrite(message(1, 61))).toThrow(InvalidConfig);
    expect(() => ring.tryWrite(message(1, 61))).toThrow(/at most 60 bytes for a ring of 64, got 61/);
  });

  it('rejects capacities that are not a power of two from 64', () => {
    expect(() => createRing(100)).toThrow(InvalidConfig);
    expect(() => createRing(32)).toThrow(/power of two from 64/);
    expect(() => new ByteRing(new SharedArrayBuffer(64 + 96))).toThrow(InvalidConfig);
  });

  it('asks for a wake-up only after the consumer slept on an empty ring, once', () => {
    const ring = new ByteRing(createRing(64));
    ring.tryWrite(message(0, 4));
    expect(ring.takeWakeRequest()).toBe(true); // a new ring's consumer has not looked yet
    ring.tryWrite(message(0, 4));
    expect(ring.takeWakeRequest()).toBe(false);
    expectMessage(ring.read(), 0, 4);
    expectMessage(ring.read(), 0, 4);
    expect(ring.sleep()).toBe(true);
    ring.tryWrite(message(1, 4));
    expect(ring.takeWakeRequest()).toBe(true);
    expect(ring.takeWakeRequest()).toBe(false);
    // A consumer that finds a message while going to sleep reads on.
    expect(ring.sleep()).toBe(false);
  });

  it('sizes a ring to hold the asked number of records', () => {
    expect(ringRecordBytes(5)).toBe(12);
    expect(ringCapacityFor(1700, 4)).toBe(8192);
    expect(ringCapacityFor(1, 1)).toBe(64);
    const ring = new ByteRing(createRing(ringCapacityFor(1700, 4)));
    for (let i = 0; i < 4; i++) expect(ring.tryWrite(message(i, 1700))).toBe(true);
  });

  it('carries every message of a worker producer in order while the consumer falls behind', async () => {
    const ring = new ByteRing(createRing(1024));
    const count = 3000;
    const here = new URL('../../scale/ring.ts', import.meta.url).href;
    const worker = new Worker(`
      const { workerData, parentPort } = require('node:worker_threads');
      import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(here)}); }).then(async ({ ByteRing }) => {
        const ring = new ByteRing(workerData.buffer);
        for (let i = 0; i < workerData.count; i++) {
          const n = (i * 37) % 300;
          const m = new Uint8Array(n);
          for (let j = 0; j < n; j++) m[j] = (i * 31 + j) & 255;
          await ring.write(m);
          if (ring.takeWakeRequest()) parentPort.postMessage('wake');
        }
        parentPort.postMessage('done');
      });`, { eval: true, workerData: { buffer: ring.buffer, count } });
    let wakes = 0, finished = false;
    worker.on('message', (m) => (m === 'wake' ? wakes++ : (finished = true)));
    let read = 0, fullSeen = false;
    while (read < count) {
      const m = ring.read();
      if (m === null) {
        if (ring.sleep()) await new Promise((r) => setTimeout(r, read % 500 === 0 ? 10 : 0));
        continue;
      }
      expectMessage(m, read, (read * 37) % 300);
      read++;
      // Fall behind now and then so the producer meets a full ring and has to wait.
      if (read % 500 === 0) {
        await new Promise((r) => setTimeout(r, 30));
        fullSeen ||= ring.used > 1024 - ringRecordBytes(300);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(finished).toBe(true);
    expect(fullSeen).toBe(true);
    expect(wakes).toBeGreaterThan(0);
    expect(ring.read()).toBeNull();
    await worker.terminate();
  }, 30_000);
});
