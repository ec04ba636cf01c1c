/**
 * The byte ring's layout, exactly: a Uint32 length then the payload padded to 4 bytes, positions as counters modulo
 * the capacity (across the Int32 wrap too), a payload split at the end of the ring, the full and empty tests at
 * their edges, the corrupt-record check, and the wake-up handshake.
 */
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { ByteRing, createRing, RING_CONTROL_BYTES, RING_SLOT, ringCapacityFor, ringRecordBytes } from '../../scale/ring.js';

const bytes = (n: number, first = 1) => Uint8Array.from({ length: n }, (_, i) => (first + i) & 255);
const control = (buffer: SharedArrayBuffer) => new Int32Array(buffer, 0, RING_CONTROL_BYTES / 4);
const data = (buffer: SharedArrayBuffer) => new Uint8Array(buffer, RING_CONTROL_BYTES);
const lengthAt = (buffer: SharedArrayBuffer, at: number) => new DataView(buffer, RING_CONTROL_BYTES).getUint32(at, true);

describe('ring sizes', () => {
  it('counts a record as a 4-byte length and the payload padded to 4', () => {
    expect([0, 1, 2, 3, 4, 5, 8, 9].map(ringRecordBytes)).toEqual([4, 8, 8, 8, 8, 12, 12, 16]);
  });

  it('picks the smallest power of two from 64 that holds the records, one at least', () => {
    expect(ringCapacityFor(1, 0)).toBe(64);
    expect(ringCapacityFor(60, 1)).toBe(64); // 64 bytes exactly
    expect(ringCapacityFor(61, 1)).toBe(128);
    expect(ringCapacityFor(10, 10)).toBe(256); // 10 x 16 = 160
    expect(ringCapacityFor(12, 16)).toBe(256); // 16 x 16 = 256 exactly
    expect(ringCapacityFor(100, 3)).toBe(512); // 3 x 104 = 312
    expect(ringCapacityFor(60, -5)).toBe(64);
  });

  it('makes a ring of 64 control bytes plus a power-of-two capacity from 64, the consumer asleep', () => {
    const buffer = createRing(64);
    expect(buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(buffer.byteLength).toBe(RING_CONTROL_BYTES + 64);
    expect(Array.from(control(buffer))).toEqual([0, 0, 1, ...new Array(13).fill(0)]);
    expect(createRing(1024).byteLength).toBe(64 + 1024);
    for (const bad of [0, 32, 63, 64.5, 65, 96, 100.5, Number.NaN, 2 ** 31, -64]) expect(() => createRing(bad), String(bad)).toThrow(InvalidConfig);
    expect(() => createRing(96)).toThrow('Expected a ring capacity that is a power of two from 64 to 2^30 bytes, got 96.');
  });

  it('views only buffers of 64 control bytes plus a power of two from 64', () => {
    const ring = new ByteRing(createRing(128));
    expect([ring.capacity, ring.maxMessageBytes, ring.buffer.byteLength]).toEqual([128, 124, 192]);
    for (const size of [64 + 32, 64 + 96, 64, 64 + 63]) expect(() => new ByteRing(new SharedArrayBuffer(size)), String(size)).toThrow(InvalidConfig);
    expect(() => new ByteRing(new SharedArrayBuffer(160))).toThrow('Expected a ring buffer of 64 control bytes plus a power of two from 64, got 160 bytes.');
    expect(new ByteRing(new SharedArrayBuffer(128)).capacity).toBe(64);
  });
});

describe('ByteRing records', () => {
  it('writes the length at the head position, then the payload, and moves HEAD by the padded record', () => {
    const buffer = createRing(64);
    const ring = new ByteRing(buffer);
    expect(ring.tryWrite(bytes(5))).toBe(true);
    expect(lengthAt(buffer, 0)).toBe(5);
    expect(Array.from(data(buffer).subarray(4, 9))).toEqual([1, 2, 3, 4, 5]);
    expect(control(buffer)[RING_SLOT.head]).toBe(12);
    expect(ring.tryWrite(bytes(0))).toBe(true);
    expect(lengthAt(buffer, 12)).toBe(0);
    expect(control(buffer)[RING_SLOT.head]).toBe(16);
    expect(ring.used).toBe(16);
    expect(Array.from(new Uint8Array(ring.read()!))).toEqual([1, 2, 3, 4, 5]);
    expect(control(buffer)[RING_SLOT.tail]).toBe(12);
    expect(ring.read()!.byteLength).toBe(0);
    expect(control(buffer)[RING_SLOT.tail]).toBe(16);
    expect(ring.read()).toBeNull();
  });

  it('splits a payload at the end of the ring: the first part up to the end, the rest from 0', () => {
    const buffer = createRing(64);
    const c = control(buffer);
    [c[RING_SLOT.head], c[RING_SLOT.tail]] = [56, 56];
    const ring = new ByteRing(buffer);
    expect(ring.tryWrite(bytes(11, 100))).toBe(true); // length at 56, payload 60-63 then 0-6
    expect(lengthAt(buffer, 56)).toBe(11);
    expect(Array.from(data(buffer).subarray(60, 64))).toEqual([100, 101, 102, 103]);
    expect(Array.from(data(buffer).subarray(0, 8))).toEqual([104, 105, 106, 107, 108, 109, 110, 0]);
    expect(c[RING_SLOT.head]).toBe(56 + 16);
    expect(Array.from(new Uint8Array(ring.read()!))).toEqual(Array.from(bytes(11, 100)));
    expect(c[RING_SLOT.tail]).toBe(72);
    // A payload that ends exactly at the end of the ring is not split.
    [c[RING_SLOT.head], c[RING_SLOT.tail]] = [52, 52];
    data(buffer).fill(0);
    expect(ring.tryWrite(bytes(8, 20))).toBe(true);
    expect(Array.from(data(buffer).subarray(56, 64))).toEqual(Array.from(bytes(8, 20)));
    expect(Array.from(data(buffer).subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(new Uint8Array(ring.read()!))).toEqual(Array.from(bytes(8, 20)));
  });

  it('takes positions modulo the capacity across the Int32 wrap of the counters', () => {
    const buffer = createRing(64);
    const c = control(buffer);
    [c[RING_SLOT.head], c[RING_SLOT.tail]] = [-4, -4]; // 2^32 - 4: position 60
    const ring = new ByteRing(buffer);
    expect(ring.tryWrite(bytes(6, 7))).toBe(true);
    expect(lengthAt(buffer, 60)).toBe(6);
    expect(Array.from(data(buffer).subarray(0, 6))).toEqual(Array.from(bytes(6, 7)));
    expect(c[RING_SLOT.head]).toBe(8);
    expect(ring.used).toBe(12);
    expect(Array.from(new Uint8Array(ring.read()!))).toEqual(Array.from(bytes(6, 7)));
    expect(c[RING_SLOT.tail]).toBe(8);
    [c[RING_SLOT.head], c[RING_SLOT.tail]] = [0x7ffffffc, 0x7ffffffc]; // the signed overflow: position 60 again
    expect(ring.tryWrite(bytes(2))).toBe(true);
    expect(c[RING_SLOT.head]).toBe(-0x80000000 + 4);
    expect(ring.used).toBe(8);
    expect(Array.from(new Uint8Array(ring.read()!))).toEqual([1, 2]);
  });

  it('fills the ring to its last byte and refuses one record more, remembering the TAIL it saw', () => {
    const buffer = createRing(64);
    const ring = new ByteRing(buffer);
    expect(ring.tryWrite(bytes(60))).toBe(true); // the largest message: 64 bytes with its length
    expect(ring.used).toBe(64);
    expect(ring.tryWrite(bytes(0))).toBe(false);
    ring.read();
    expect(ring.tryWrite(bytes(24))).toBe(true); // 28
    expect(ring.tryWrite(bytes(32))).toBe(true); // 28 + 36 = 64
    expect(ring.tryWrite(bytes(0))).toBe(false);
    expect((ring as unknown as { blockedTail: number }).blockedTail).toBe(64);
    expect(() => ring.tryWrite(bytes(61))).toThrow(InvalidConfig);
    expect(() => ring.tryWrite(bytes(61))).toThrow('Expected a message of at most 60 bytes for a ring of 64, got 61 bytes: make a larger ring.');
  });

  it('refuses a record whose length is past the written bytes or the ring: two producers corrupted it', () => {
    for (const bad of [61, 13, 2 ** 32 - 1]) {
      const buffer = createRing(64);
      const ring = new ByteRing(buffer);
      ring.tryWrite(bytes(8)); // 12 bytes written
      new DataView(buffer, RING_CONTROL_BYTES).setUint32(0, bad, true);
      expect(() => ring.read(), String(bad)).toThrow(InvalidConfig);
    }
    const buffer = createRing(64);
    const ring = new ByteRing(buffer);
    ring.tryWrite(bytes(4));
    ring.read(); // TAIL 8
    ring.tryWrite(bytes(8)); // HEAD 20: 12 bytes written from position 8
    new DataView(buffer, RING_CONTROL_BYTES).setUint32(8, 9, true);
    expect(() => ring.read()).toThrow('Expected a ring record of at most 12 bytes at position 8, got a length of 9: the ring is corrupt (two producers?).');
    new DataView(buffer, RING_CONTROL_BYTES).setUint32(8, 7, true); // 12 bytes again: fine
    expect(new Uint8Array(ring.read()!)).toEqual(bytes(7));
  });

  it('wakes a producer waiting for space when the consumer reads', async () => {
    const ring = new ByteRing(createRing(64));
    ring.tryWrite(bytes(60));
    expect(ring.tryWrite(bytes(1))).toBe(false);
    const started = Date.now();
    const waiting = ring.waitForSpace(20_000);
    ring.read();
    await waiting;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('ByteRing wake-ups', () => {
  it('asks for a wake-up once after the consumer slept, and says whether the ring was still empty', () => {
    const buffer = createRing(64);
    const ring = new ByteRing(buffer);
    expect(ring.takeWakeRequest()).toBe(true); // a new ring starts asleep
    expect(ring.takeWakeRequest()).toBe(false);
    expect(control(buffer)[RING_SLOT.asleep]).toBe(0);
    expect(ring.sleep()).toBe(true);
    expect(control(buffer)[RING_SLOT.asleep]).toBe(1);
    ring.tryWrite(bytes(3));
    expect(ring.sleep()).toBe(false); // a message came in: read on
    expect(ring.takeWakeRequest()).toBe(true);
    expect(ring.takeWakeRequest()).toBe(false);
  });
});
