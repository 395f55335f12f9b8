// native/lib/address-ranges.ts, the one binary search and interval index of symbol tables, line
// tables, FDE tables and unit lists: against a linear scan over random tables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntervalIndex, compareAddresses, countAtOrBelow, lastAtOrBelow } from '../native/lib/address-ranges';

/** A small deterministic generator (xorshift32), so a failure reproduces. */
function random(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % below;
  };
}

test('countAtOrBelow and lastAtOrBelow: the first key above x, with duplicates and at both ends', () => {
  const keys = [2n, 4n, 4n, 4n, 9n];
  const count = (x: bigint) => countAtOrBelow(keys.length, (i) => keys[i], x);
  assert.deepEqual([1n, 2n, 3n, 4n, 5n, 9n, 10n].map(count), [0, 1, 1, 4, 4, 5, 5]);
  assert.equal(lastAtOrBelow(keys, (k) => k, 4n), 3);
  assert.equal(lastAtOrBelow(keys, (k) => k, 1n), -1);
  assert.equal(lastAtOrBelow([] as bigint[], (k) => k, 1n), -1);
  assert.equal(countAtOrBelow(3, (i) => [10, 20, 30][i], 25), 2); // numbers as well as bigints
  const next = random(7);
  for (let round = 0; round < 200; round++) {
    const sorted = Array.from({ length: next(20) }, () => BigInt(next(50))).sort(compareAddresses);
    const x = BigInt(next(55));
    assert.equal(countAtOrBelow(sorted.length, (i) => sorted[i], x), sorted.filter((k) => k <= x).length);
  }
});

test('IntervalIndex: every interval containing an address, latest start first, as a linear scan finds them', () => {
  const next = random(11);
  for (let round = 0; round < 300; round++) {
    const intervals = Array.from({ length: next(30) }, (_, id) => {
      const low = BigInt(next(200));
      return { id, low, high: low + BigInt(next(round % 3 === 0 ? 120 : 15)) }; // some empty, some nesting
    });
    const index = new IntervalIndex(intervals);
    // Stable by low: equal lows keep their order.
    const sorted = [...intervals].sort((a, b) => compareAddresses(a.low, b.low) || a.id - b.id);
    assert.deepEqual(index.entries.map((e) => e.id), sorted.map((e) => e.id));
    for (let address = 0n; address < 330n; address += 7n) {
      const expected = sorted.filter((e) => e.low <= address && address < e.high).reverse();
      assert.deepEqual(index.containing(address).map((e) => e.id), expected.map((e) => e.id));
      assert.equal(index.first(address)?.id, expected[0]?.id);
    }
  }
  assert.deepEqual(new IntervalIndex([]).containing(5n), []);
  assert.equal(new IntervalIndex([]).first(5n), undefined);
});
