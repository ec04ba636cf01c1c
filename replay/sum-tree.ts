/**
 * Segment trees over Float64Array for prioritized replay: a sum tree (prefix-sum search) and a min tree.
 * Leaves sit at [base, 2 * base) with base the capacity rounded up to a power of two, so a leaf's tree
 * order is its index order and `find` is a true prefix-sum search. Every update rewrites the path from the
 * leaf to the root from the children (never by adding a delta), so rounding errors do not pile up.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';

function checkCapacity(capacity: number, what: string): number {
  if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 2 ** 30) {
    throw new InvalidConfig(`Expected ${what} capacity to be an integer in [1, 2^30], got ${describeValue(capacity)}.`);
  }
  let base = 1;
  while (base < capacity) base *= 2;
  return base;
}

/** A sum tree of `capacity` non-negative leaves: O(log n) `set`, O(1) `total`, O(log n) `find(mass)`. */
export class SumTree {
  /** Number of leaves that can be set (indices 0 .. capacity - 1). */
  readonly capacity: number;
  /** Leaf offset in `nodes`: a power of two >= capacity. */
  readonly base: number;
  /** Node i holds nodes[2i] + nodes[2i + 1]; node 1 is the root; leaves at [base, 2 base). Read-only for callers. */
  readonly nodes: Float64Array;

  constructor(capacity: number) {
    this.base = checkCapacity(capacity, 'SumTree');
    this.capacity = capacity;
    this.nodes = new Float64Array(2 * this.base);
  }

  /** Sets leaf `index` to `value` (>= 0, finite) and updates its ancestors. */
  set(index: number, value: number): void {
    if (!(value >= 0) || value === Infinity) {
      throw new InvalidConfig(`Expected a SumTree value to be a finite number >= 0, got ${describeValue(value)} at leaf ${index}.`);
    }
    if (!(index >= 0 && index < this.capacity) || !Number.isInteger(index)) {
      throw new InvalidConfig(`Expected a SumTree leaf index in [0, ${this.capacity - 1}], got ${describeValue(index)}.`);
    }
    const nodes = this.nodes;
    let i = index + this.base;
    nodes[i] = value;
    for (i >>= 1; i >= 1; i >>= 1) nodes[i] = nodes[2 * i]! + nodes[2 * i + 1]!;
  }

  /** The value of leaf `index`. */
  get(index: number): number {
    return this.nodes[index + this.base]!;
  }

  /** Sum of all leaves. */
  total(): number {
    return this.nodes[1]!;
  }

  /**
   * The leaf i with prefix(i) <= mass < prefix(i + 1), where prefix(i) is the sum of leaves before i;
   * `mass` should lie in [0, total()). A mass at or past the total lands on the last non-zero leaf, and the
   * search never enters a zero-sum subtree, so rounding cannot pick an empty leaf.
   */
  find(mass: number): number {
    const nodes = this.nodes;
    const base = this.base;
    let i = 1;
    while (i < base) {
      const left = 2 * i;
      const leftSum = nodes[left]!;
      if (mass < leftSum || nodes[left + 1]! <= 0) {
        i = left;
      } else {
        mass -= leftSum;
        i = left + 1;
      }
    }
    return i - base;
  }

  /** Recomputes every inner node from the leaves, in O(n) (after filling `nodes` leaves directly). */
  rebuild(): void {
    const nodes = this.nodes;
    for (let i = this.base - 1; i >= 1; i--) nodes[i] = nodes[2 * i]! + nodes[2 * i + 1]!;
  }

  /** Sets every leaf to 0. */
  clear(): void {
    this.nodes.fill(0);
  }
}

/** A min tree of `capacity` leaves (unset leaves are +Infinity): O(log n) `set`, O(1) `min`. */
export class MinTree {
  readonly capacity: number;
  readonly base: number;
  /** Node i holds min(nodes[2i], nodes[2i + 1]); node 1 is the root; leaves at [base, 2 base). */
  readonly nodes: Float64Array;

  constructor(capacity: number) {
    this.base = checkCapacity(capacity, 'MinTree');
    this.capacity = capacity;
    this.nodes = new Float64Array(2 * this.base).fill(Infinity);
  }

  /** Sets leaf `index` to `value` and updates its ancestors. */
  set(index: number, value: number): void {
    if (Number.isNaN(value)) throw new InvalidConfig(`Expected a MinTree value to be a number, got NaN at leaf ${index}.`);
    if (!(index >= 0 && index < this.capacity) || !Number.isInteger(index)) {
      throw new InvalidConfig(`Expected a MinTree leaf index in [0, ${this.capacity - 1}], got ${describeValue(index)}.`);
    }
    const nodes = this.nodes;
    let i = index + this.base;
    nodes[i] = value;
    for (i >>= 1; i >= 1; i >>= 1) {
      const a = nodes[2 * i]!, b = nodes[2 * i + 1]!;
      // Stryker disable next-line EqualityOperator: on a tie a and b are the same number
      nodes[i] = a < b ? a : b;
    }
  }

  /** The value of leaf `index`. */
  get(index: number): number {
    return this.nodes[index + this.base]!;
  }

  /** Smallest leaf (+Infinity when none is set). */
  min(): number {
    return this.nodes[1]!;
  }

  /** Recomputes every inner node from the leaves, in O(n). */
  rebuild(): void {
    const nodes = this.nodes;
    for (let i = this.base - 1; i >= 1; i--) {
      const a = nodes[2 * i]!, b = nodes[2 * i + 1]!;
      // Stryker disable next-line EqualityOperator: on a tie a and b are the same number
      nodes[i] = a < b ? a : b;
    }
  }

  /** Sets every leaf to +Infinity. */
  clear(): void {
    this.nodes.fill(Infinity);
  }
}
