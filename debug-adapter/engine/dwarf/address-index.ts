// An interval index that grows: which owners (units) have a range containing an address.
// Ranges may keep arriving (binutils reads and decodes units as queries need them); the
// IntervalIndex (native/lib/address-ranges.ts) is rebuilt lazily when ranges were added since the
// last query.
import { IntervalIndex } from '../../../native/lib/address-ranges';

interface OwnedRange<T> {
  readonly low: bigint;
  readonly high: bigint;
  readonly owner: T;
}

export class AddressIndex<T> {
  private pending: OwnedRange<T>[] = [];
  private index = new IntervalIndex<OwnedRange<T>>([]);

  add(owner: T, low: bigint, high: bigint): void {
    if (high > low) this.pending.push({ low, high, owner });
  }

  /** The owners of every range containing `address`. */
  ownersAt(address: bigint): Set<T> {
    if (this.pending.length > 0) {
      this.index = new IntervalIndex([...this.index.entries, ...this.pending]);
      this.pending = [];
    }
    return new Set(this.index.containing(address).map((range) => range.owner));
  }
}
