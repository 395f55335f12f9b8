// Functions by address: every concrete DW_TAG_subprogram of a unit with its PC ranges, and the
// chain of inlined subroutines and lexical blocks that contain an address inside one. Lexical
// blocks without PC ranges are transparent (their contents belong to the enclosing scope), as in
// gdb.
import { IntervalIndex } from '../../../native/lib/address-ranges';
import { DW_AT, DW_TAG } from './constants';
import type { Die } from './die';
import type { AddressRange } from './lists';
import type { Unit } from './unit';

export interface FunctionEntry {
  readonly unit: Unit;
  readonly die: Die;
  readonly ranges: readonly AddressRange[];
}

/** Tags of DIEs that open a nested scope of code. */
const SCOPE_TAGS = new Set<number>([DW_TAG.lexical_block, DW_TAG.inlined_subroutine, DW_TAG.try_block, DW_TAG.catch_block, DW_TAG.with_stmt]);

export function rangesContain(ranges: readonly AddressRange[], address: bigint): boolean {
  return ranges.some((r) => address >= r.low && address < r.high);
}

interface FunctionRange {
  readonly low: bigint;
  readonly high: bigint;
  readonly fn: FunctionEntry;
}

/** The subprograms of one unit, searchable by address. */
export class UnitFunctions {
  /** Every range of every subprogram, sorted by address. */
  private readonly index: IntervalIndex<FunctionRange>;

  constructor(
    readonly unit: Unit,
    /** Keeps ranges starting here (discarded code keeps its DIEs with address 0). */
    private readonly isCode: (address: bigint) => boolean = () => true,
  ) {
    const entries: FunctionRange[] = [];
    const root = unit.root;
    if (root) this.collect(root, entries);
    this.index = new IntervalIndex(entries);
  }

  private collect(die: Die, entries: FunctionRange[]): void {
    for (const child of die.children) {
      if (child.tag === DW_TAG.subprogram) {
        const ranges = this.unit.pcRanges(child).filter((r) => this.isCode(r.low));
        const fn: FunctionEntry = { unit: this.unit, die: child, ranges };
        for (const r of ranges) entries.push({ low: r.low, high: r.high, fn });
      }
      // Subprograms also live in namespaces, classes and (nested functions) other subprograms.
      if (child.children.length > 0) this.collect(child, entries);
    }
  }

  /** Every subprogram with a range. */
  all(): FunctionEntry[] {
    return [...new Set(this.index.entries.map((e) => e.fn))];
  }

  /** The innermost (smallest range) subprogram containing `address`. */
  at(address: bigint): FunctionEntry | undefined {
    let best: FunctionRange | undefined;
    for (const e of this.index.containing(address)) if (!best || e.high - e.low < best.high - best.low) best = e;
    return best?.fn;
  }
}

/**
 * The nested scopes containing `address` under `die` (a subprogram or inlined subroutine):
 * lexical blocks and inlined subroutines with ranges, outermost first.
 */
export function scopeChain(unit: Unit, die: Die, address: bigint): Die[] {
  const chain: Die[] = [];
  let current: Die | undefined = die;
  while (current) {
    const next = findContaining(unit, current, address);
    if (!next) break;
    chain.push(next);
    current = next;
  }
  return chain;
}

function findContaining(unit: Unit, parent: Die, address: bigint): Die | undefined {
  for (const child of parent.children) {
    if (!SCOPE_TAGS.has(child.tag)) continue;
    const hasRanges = child.has(DW_AT.low_pc) || child.has(DW_AT.ranges);
    if (!hasRanges) {
      // Transparent block: look inside it.
      const inner = findContaining(unit, child, address);
      if (inner) return inner;
      continue;
    }
    if (rangesContain(unit.pcRanges(child), address)) return child;
  }
  return undefined;
}

/** The children of a scope DIE, with range-less lexical blocks flattened into it. */
export function scopeMembers(unit: Unit, die: Die): Die[] {
  const members: Die[] = [];
  for (const child of die.children) {
    members.push(child);
    if (child.tag === DW_TAG.lexical_block && !child.has(DW_AT.low_pc) && !child.has(DW_AT.ranges)) members.push(...scopeMembers(unit, child));
  }
  return members;
}

/** Where a function or inlined instance is entered: DW_AT_entry_pc (an address, or an offset from
 *  the low pc), else DW_AT_low_pc, else its first range. */
export function entryPc(unit: Unit, die: Die): bigint {
  const ranges = unit.pcRanges(die);
  const base = unit.address(die.attr(DW_AT.low_pc)) ?? ranges[0]?.low ?? 0n;
  const attr = die.attr(DW_AT.entry_pc);
  const address = unit.address(attr);
  if (address !== undefined) return address;
  const offset = unit.constant(attr);
  return offset !== undefined ? base + offset : base;
}
