// An interval index: which owners (units) have a range containing an address.
// Ranges may keep arriving (binutils reads and decodes units as queries need them); the sorted
// index is rebuilt lazily when ranges were added since the last query.
export class AddressIndex<T> {
  private pending: Array<{ low: bigint; high: bigint; owner: T }> = [];
  private sorted: Array<{ low: bigint; high: bigint; owner: T }> = [];
  /** Highest `high` among sorted[0..i]. */
  private reach: bigint[] = [];

  add(owner: T, low: bigint, high: bigint): void {
    if (high > low) this.pending.push({ low, high, owner });
  }

  /** The owners of every range containing `address`. */
  ownersAt(address: bigint): Set<T> {
    if (this.pending.length > 0) this.rebuild();
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid].low <= address) lo = mid + 1;
      else hi = mid;
    }
    const owners = new Set<T>();
    for (let i = lo - 1; i >= 0 && this.reach[i] > address; i--) {
      if (address < this.sorted[i].high) owners.add(this.sorted[i].owner);
    }
    return owners;
  }

  private rebuild(): void {
    this.sorted = [...this.sorted, ...this.pending].sort((a, b) => (a.low < b.low ? -1 : a.low > b.low ? 1 : 0));
    this.pending = [];
    let reach = 0n;
    this.reach = this.sorted.map((e) => (reach = e.high > reach ? e.high : reach));
  }
}
