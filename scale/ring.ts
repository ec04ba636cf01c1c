/**
 * A single-producer single-consumer byte ring on a SharedArrayBuffer: length-prefixed messages between two threads
 * without postMessage per message (scale/threads.ts: one ring per actor thread).
 *
 * Layout: a 64-byte control block of Int32 slots (HEAD: bytes ever written, TAIL: bytes ever read, ASLEEP: the
 * consumer found the ring empty and wants a wake-up), then `capacity` bytes of data. HEAD and TAIL only grow and wrap
 * at 2^32; the capacity is a power of two, so `counter & (capacity - 1)` is the position across that wrap too. A
 * record is a Uint32 length then the payload, padded to 4 bytes; the length never straddles the end (positions are
 * multiples of 4), the payload may, and is then copied in two parts. Atomics are sequentially consistent, so the
 * payload written before HEAD is stored is visible to a consumer that loads that HEAD.
 */
import { InvalidConfig } from '../core/errors.js';

/** Int32 slots of the control block. */
export const RING_SLOT = { head: 0, tail: 1, asleep: 2 } as const;
/** Bytes before the data: the control block, one cache line. */
export const RING_CONTROL_BYTES = 64;
const LENGTH_BYTES = 4;

/** Node 20 has Atomics.waitAsync; the ES2023 lib does not declare it. */
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): WaitAsyncResult }).waitAsync;

/** Bytes a message of `bytes` takes in a ring: its length prefix and its payload padded to 4. */
export function ringRecordBytes(bytes: number): number {
  return LENGTH_BYTES + ((bytes + 3) & ~3);
}

/** The smallest power-of-two ring capacity (bytes, at least 64) that holds `messages` records of `bytes` each. */
export function ringCapacityFor(bytes: number, messages: number): number {
  const need = ringRecordBytes(bytes) * Math.max(1, messages);
  let capacity = 64;
  while (capacity < need) capacity *= 2;
  return capacity;
}

/** A SharedArrayBuffer for a ring of `capacity` data bytes (a power of two, 64 to 2^30). */
export function createRing(capacity: number): SharedArrayBuffer {
  if (!Number.isInteger(capacity) || capacity < 64 || capacity > 2 ** 30 || (capacity & (capacity - 1)) !== 0) {
    throw new InvalidConfig(`Expected a ring capacity that is a power of two from 64 to 2^30 bytes, got ${capacity}.`);
  }
  const buffer = new SharedArrayBuffer(RING_CONTROL_BYTES + capacity);
  // The consumer starts asleep: the first write asks for a wake-up.
  new Int32Array(buffer, 0, RING_CONTROL_BYTES / 4)[RING_SLOT.asleep] = 1;
  return buffer;
}

/** One side's view of a ring (the producer calls the write methods, the consumer the read ones; one of each). */
export class ByteRing {
  /** The shared memory, to post to the other thread. */
  readonly buffer: SharedArrayBuffer;
  /** Data bytes. */
  readonly capacity: number;
  /** The largest message (bytes) the ring takes. */
  readonly maxMessageBytes: number;
  private readonly control: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly words: Uint32Array;
  private readonly mask: number;
  /** TAIL when `tryWrite` last found the ring full: `waitForSpace` waits for it to move from there (no lost wake-up). */
  private blockedTail = 0;

  /** Views `buffer` (from `createRing`) as a ring. */
  constructor(buffer: SharedArrayBuffer) {
    const capacity = buffer.byteLength - RING_CONTROL_BYTES;
    if (capacity < 64 || (capacity & (capacity - 1)) !== 0) {
      throw new InvalidConfig(`Expected a ring buffer of ${RING_CONTROL_BYTES} control bytes plus a power of two from 64, got ${buffer.byteLength} bytes.`);
    }
    this.buffer = buffer;
    this.capacity = capacity;
    this.maxMessageBytes = capacity - LENGTH_BYTES;
    this.mask = capacity - 1;
    this.control = new Int32Array(buffer, 0, RING_CONTROL_BYTES / 4);
    this.bytes = new Uint8Array(buffer, RING_CONTROL_BYTES, capacity);
    this.words = new Uint32Array(buffer, RING_CONTROL_BYTES, capacity / 4);
  }

  /** Bytes written and not yet read (records with their prefixes and padding). */
  get used(): number {
    return (Atomics.load(this.control, RING_SLOT.head) - Atomics.load(this.control, RING_SLOT.tail)) | 0;
  }

  /** Producer: appends `message` if the ring has room and returns true; false when full. Throws when it can never fit. */
  tryWrite(message: Uint8Array): boolean {
    const n = message.byteLength;
    if (n > this.maxMessageBytes) {
      throw new InvalidConfig(`Expected a message of at most ${this.maxMessageBytes} bytes for a ring of ${this.capacity}, got ${n} bytes: make a larger ring.`);
    }
    const record = ringRecordBytes(n);
    const head = Atomics.load(this.control, RING_SLOT.head);
    const tail = Atomics.load(this.control, RING_SLOT.tail);
    if (((head - tail) | 0) + record > this.capacity) {
      this.blockedTail = tail;
      return false;
    }
    const at = head & this.mask;
    this.words[at >>> 2] = n;
    const start = (at + LENGTH_BYTES) & this.mask;
    const first = Math.min(n, this.capacity - start);
    // Stryker disable next-line ConditionalExpression: subarray(0, n) of an n-byte message is the message (a view saved)
    this.bytes.set(first === n ? message : message.subarray(0, first), start);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: with first = n the second part is empty and sets nothing
    if (first < n) this.bytes.set(message.subarray(first), 0);
    Atomics.store(this.control, RING_SLOT.head, (head + record) | 0);
    return true;
  }

  /** Producer, after writes: true once when the consumer went to sleep on an empty ring (send it a wake-up then). */
  takeWakeRequest(): boolean {
    return Atomics.exchange(this.control, RING_SLOT.asleep, 0) === 1;
  }

  /**
   * Producer: resolves once the consumer has read something since `tryWrite` last failed, or after `timeoutMs`
   * (so the caller can look at its stop flag). Never blocks the thread: the wait is `Atomics.waitAsync`.
   */
  async waitForSpace(timeoutMs: number): Promise<void> {
    const r = waitAsync(this.control, RING_SLOT.tail, this.blockedTail, timeoutMs);
    if (!r.async) return;
    // A pending waitAsync does not keep Node's event loop alive (a worker with nothing else to do would exit): a timer does.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([r.value, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs + 1)))]);
    clearTimeout(timer);
  }

  /** Producer: writes `message`, waiting (without blocking the thread) while the ring is full; false if `stop()` turned true first. */
  async write(message: Uint8Array, stop: () => boolean = () => false, pollMs = 50): Promise<boolean> {
    while (!this.tryWrite(message)) {
      if (stop()) return false;
      await this.waitForSpace(pollMs);
    }
    return true;
  }

  /** Consumer: the next message, copied into its own ArrayBuffer, or null when the ring is empty. */
  read(): ArrayBuffer | null {
    const tail = Atomics.load(this.control, RING_SLOT.tail);
    const head = Atomics.load(this.control, RING_SLOT.head);
    if (head === tail) return null;
    const at = tail & this.mask;
    const n = this.words[at >>> 2]!;
    if (n > this.maxMessageBytes || ringRecordBytes(n) > ((head - tail) | 0)) {
      throw new InvalidConfig(`Expected a ring record of at most ${(head - tail) | 0} bytes at position ${at}, got a length of ${n}: the ring is corrupt (two producers?).`);
    }
    const out = new ArrayBuffer(n);
    const view = new Uint8Array(out);
    const start = (at + LENGTH_BYTES) & this.mask;
    const first = Math.min(n, this.capacity - start);
    view.set(this.bytes.subarray(start, start + first));
    // Stryker disable next-line ConditionalExpression,EqualityOperator: with first = n the second part is empty and sets nothing
    if (first < n) view.set(this.bytes.subarray(0, n - first), first);
    Atomics.store(this.control, RING_SLOT.tail, (tail + ringRecordBytes(n)) | 0);
    Atomics.notify(this.control, RING_SLOT.tail);
    return out;
  }

  /**
   * Consumer, on finding the ring empty: asks the producer for a wake-up at its next write and returns true if the
   * ring is still empty (sleep until woken); false if a message arrived meanwhile (read on).
   */
  sleep(): boolean {
    Atomics.store(this.control, RING_SLOT.asleep, 1);
    return Atomics.load(this.control, RING_SLOT.head) === Atomics.load(this.control, RING_SLOT.tail);
  }
}
