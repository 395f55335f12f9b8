// Searching sorted addresses: the one binary search ("how many entries start at or below x") that
// symbol tables, line tables, FDE tables and unit lists use, and an interval index for ranges that
// may nest or overlap (functions, line sequences, units' address ranges).

/** Orders bigints (addresses) for Array.prototype.sort. */
export function compareAddresses(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Of `count` entries sorted by key, how many have a key ≤ x: the index of the first key > x (count
 * when there is none). `keyAt` is called O(log count) times, so the entries may be decoded lazily.
 */
export function countAtOrBelow<K extends bigint | number>(count: number, keyAt: (index: number) => K, x: K): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyAt(mid) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the last of `entries` (sorted by key) whose key is ≤ x, or -1. */
export function lastAtOrBelow<T, K extends bigint | number>(entries: readonly T[], key: (entry: T) => K, x: K): number {
  return countAtOrBelow(entries.length, (index) => key(entries[index]), x) - 1;
}

export interface AddressInterval {
  readonly low: bigint;
  /** Exclusive. */
  readonly high: bigint;
}

/**
 * Intervals [low, high) that may nest or overlap, sorted by low (stably: entries with equal lows
 * keep their order). A query finds the last interval starting at or below the address and walks
 * back while the highest `high` so far ("reach") still passes it, so it visits only the intervals
 * that could contain the address.
 */
export class IntervalIndex<T extends AddressInterval> {
  /** The intervals, sorted by low. */
  readonly entries: readonly T[];
  /** Highest high among entries[0..i]. */
  private readonly reach: bigint[];

  constructor(intervals: Iterable<T>) {
    this.entries = [...intervals].sort((a, b) => compareAddresses(a.low, b.low));
    let reach = 0n;
    this.reach = this.entries.map((e) => (reach = e.high > reach ? e.high : reach));
  }

  /** The intervals containing `address`, latest low first (at equal lows, the later entry first). */
  containing(address: bigint): T[] {
    const found: T[] = [];
    this.walk(address, (interval) => void found.push(interval));
    return found;
  }

  /** The first of `containing(address)`: the containing interval with the latest low. */
  first(address: bigint): T | undefined {
    let hit: T | undefined;
    this.walk(address, (interval) => Boolean((hit = interval)));
    return hit;
  }

  /** Visits the intervals containing `address` in `containing`'s order until `visit` returns true. */
  private walk(address: bigint, visit: (interval: T) => boolean | void): void {
    for (let i = lastAtOrBelow(this.entries, (e) => e.low, address); i >= 0 && this.reach[i] > address; i--) {
      if (address < this.entries[i].high && visit(this.entries[i])) return;
    }
  }
}
