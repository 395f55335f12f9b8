// Address → function lookup over the defined STT_FUNC (and STT_GNU_IFUNC) symbols of an ELF file,
// for crash reports and backtraces.
import { lastAtOrBelow } from '../address-ranges';
import * as C from './constants';
import { ElfFile } from './elf-file';
import { ElfSymbol } from './symbols';

export interface FunctionLocation {
  readonly name: string;
  /** Start address (symbol value plus load bias). */
  readonly start: bigint;
  readonly size: bigint;
  /** address − start. */
  readonly offset: bigint;
  readonly symbol: ElfSymbol;
}

interface Entry {
  readonly start: bigint;
  readonly symbol: ElfSymbol;
  /** End of the range the symbol claims; for size 0, up to the next function (see functionAt). */
  end: bigint;
}

// Lower is preferred when two symbols start at the same address (aliases such as write/__write).
function bindRank(bind: number): number {
  return bind === C.STB_GLOBAL ? 0 : bind === C.STB_WEAK ? 1 : bind === C.STB_GNU_UNIQUE ? 2 : 3;
}

function isDefinedFunction(symbol: ElfSymbol): boolean {
  if (symbol.type !== C.STT_FUNC && symbol.type !== C.STT_GNU_IFUNC) return false;
  return symbol.sectionIndex !== C.SHN_UNDEF && symbol.sectionIndex !== C.SHN_ABS && symbol.sectionIndex !== C.SHN_COMMON;
}

function compareEntries(a: Entry, b: Entry): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  const rank = bindRank(a.symbol.bind) - bindRank(b.symbol.bind);
  if (rank !== 0) return rank;
  return a.symbol.name < b.symbol.name ? -1 : a.symbol.name > b.symbol.name ? 1 : 0;
}

export class SymbolTable {
  /** Sorted by start, then preference. */
  private readonly entries: Entry[];
  private readonly maxSize: bigint;

  /**
   * `loadBias` is added to every symbol value: 0 for ET_EXEC, the load address of the lowest
   * segment minus its p_vaddr for a relocated PIE (e.g. a static-pie guest loaded at 0x100000).
   */
  constructor(symbols: readonly ElfSymbol[], readonly loadBias: bigint = 0n) {
    const seen = new Set<string>();
    this.entries = [];
    for (const symbol of symbols) {
      if (!isDefinedFunction(symbol)) continue;
      const start = symbol.value + loadBias;
      const key = `${symbol.name}@${start}:${symbol.size}`;
      if (seen.has(key)) continue; // the same function in .symtab and .dynsym
      seen.add(key);
      this.entries.push({ start, symbol, end: start + symbol.size });
    }
    this.entries.sort(compareEntries);
    // A symbol without a size (hand-written assembly) claims the bytes up to the next function,
    // unless a sized symbol starts at the same address: that one describes the function.
    for (let first = 0; first < this.entries.length; ) {
      const start = this.entries[first].start;
      let next = first;
      while (next < this.entries.length && this.entries[next].start === start) next++;
      const group = this.entries.slice(first, next);
      const sized = group.some((e) => e.symbol.size !== 0n);
      const end = sized ? start : next < this.entries.length ? this.entries[next].start : start + 1n;
      for (const entry of group) if (entry.symbol.size === 0n) entry.end = end;
      first = next;
    }
    this.maxSize = this.entries.reduce((max, e) => (e.end - e.start > max ? e.end - e.start : max), 0n);
  }

  static fromElf(elf: ElfFile, loadBias: bigint = 0n): SymbolTable {
    return new SymbolTable(elf.allSymbols(), loadBias);
  }

  /**
   * The function containing `address`: the sized symbol with start ≤ address < start + size (the
   * innermost, i.e. latest start, if several overlap; global over weak over local at equal starts).
   * Symbols of size 0 only match when no sized symbol does.
   */
  functionAt(address: bigint): FunctionLocation | undefined {
    let fallback: Entry | undefined;
    let best: Entry | undefined;
    for (let i = lastAtOrBelow(this.entries, (e) => e.start, address); i >= 0; i--) {
      const entry = this.entries[i];
      if (address - entry.start >= this.maxSize) break; // nothing further back can reach address
      if (address >= entry.end) continue;
      if (entry.symbol.size === 0n) {
        fallback ??= entry;
        continue;
      }
      if (best && entry.start !== best.start) break;
      if (!best || compareEntries(entry, best) < 0) best = entry;
    }
    const found = best ?? fallback;
    if (!found) return undefined;
    return { name: found.symbol.name, start: found.start, size: found.symbol.size, offset: address - found.start, symbol: found.symbol };
  }

  /** Defined functions with this name. */
  functionsNamed(name: string): FunctionLocation[] {
    return this.entries
      .filter((e) => e.symbol.name === name)
      .map((e) => ({ name, start: e.start, size: e.symbol.size, offset: 0n, symbol: e.symbol }));
  }
}
