// binutils' read_rangelist: .debug_ranges (DWARF 2-4) and .debug_rnglists (DWARF 5) read from a
// raw section offset, supporting only the entry kinds binutils 2.40 supports (the index-based
// DW_RLE_*x entries fail the list, as they do there).
import { dwarfReader, type ByteReader } from '../reader';
import type { DebugSections } from '../sections';

const MASK = (1n << 64n) - 1n;

/** Calls `add` for each range of the list at `offsetValue`; false where binutils fails. */
export function readBfdRangeList(
  sections: DebugSections,
  version: number,
  addressSize: number,
  baseAddress: bigint,
  offsetValue: bigint,
  add: (low: bigint, high: bigint) => void,
): boolean {
  const size = addressSize;
  const allOnes = size === 8 ? MASK : 0xffffffffn;
  let base = baseAddress;
  if (version <= 4) {
    const section = sections.ranges;
    if (!section || offsetValue > BigInt(section.length)) return false;
    const reader = dwarfReader(section, '.debug_ranges', Number(offsetValue));
    for (;;) {
      if (2 * size > reader.remaining) return false;
      const low = reader.unsigned(size);
      const high = reader.unsigned(size);
      if (low === 0n && high === 0n) return true;
      if (low === allOnes && high !== allOnes) base = high;
      else add((base + low) & MASK, (base + high) & MASK);
    }
  }
  const section = sections.rnglists;
  if (!section || offsetValue >= BigInt(section.length)) return false;
  const reader = dwarfReader(section, '.debug_rnglists', Number(offsetValue));
  for (;;) {
    if (reader.atEnd()) return false;
    const kind = reader.u8();
    let low: bigint;
    let high: bigint;
    switch (kind) {
      case 0x00: // DW_RLE_end_of_list
        return true;
      case 0x05: // DW_RLE_base_address
        if (size > reader.remaining) return false;
        base = reader.unsigned(size);
        continue;
      case 0x07: // DW_RLE_start_length
        if (size > reader.remaining) return false;
        low = reader.unsigned(size);
        high = (low + safeUleb(reader)) & MASK;
        break;
      case 0x04: // DW_RLE_offset_pair
        low = (base + safeUleb(reader)) & MASK;
        high = (base + safeUleb(reader)) & MASK;
        break;
      case 0x06: // DW_RLE_start_end
        if (2 * size > reader.remaining) return false;
        low = reader.unsigned(size);
        high = reader.unsigned(size);
        break;
      default: // the index-based (x) entries need .debug_addr support binutils lacks
        return false;
    }
    add(low, high);
  }
}

function safeUleb(reader: ByteReader): bigint {
  try {
    return reader.uleb();
  } catch {
    reader.pos = reader.end;
    return 0n;
  }
}
