// Range lists (DWARF 5 .debug_rnglists, DWARF 2-4 .debug_ranges) and location lists (DWARF 5
// .debug_loclists incl. GNU view pairs, DWARF 2-4 .debug_loc), read from the offset a DIE names:
// a section offset, or an index through the unit's offsets table (rnglistx/loclistx).
import { DW_FORM, DW_LLE, DW_RLE } from './constants';
import type { Attribute } from './die';
import { DwarfFormatError, hex } from './errors';
import { dwarfReader } from './reader';
import type { Unit } from './unit';

export interface AddressRange {
  readonly low: bigint;
  /** Exclusive. */
  readonly high: bigint;
}

export interface LocationListEntry {
  /** Undefined for a DW_LLE_default_location entry (it applies where no other entry does). */
  readonly range?: AddressRange;
  readonly expression: Uint8Array;
}

const MASK64 = (1n << 64n) - 1n;

function maxAddress(unit: Unit): bigint {
  return unit.addressSize === 8 ? MASK64 : 0xffffffffn;
}

/** Offset of list `index` through the offsets table at `base` (DWARF 5 rnglistx/loclistx). */
function indexedListOffset(section: Uint8Array, name: string, unit: Unit, base: number | undefined, index: bigint): number {
  const offsetSize = unit.header.offsetSize;
  const tableBase = base ?? (offsetSize === 8 ? 20 : 12); // just past the first contribution's header
  const reader = dwarfReader(section, name, tableBase + Number(index) * offsetSize);
  return tableBase + Number(reader.offset(offsetSize));
}

function listOffset(unit: Unit, attr: Attribute, section: Uint8Array, name: string, base: number | undefined): number {
  if (attr.form === DW_FORM.rnglistx || attr.form === DW_FORM.loclistx) return indexedListOffset(section, name, unit, base, attr.raw);
  return Number(attr.raw);
}

/** The ranges of a DW_AT_ranges attribute. */
export function readRangeList(unit: Unit, attr: Attribute): AddressRange[] {
  if (unit.version >= 5) {
    const section = unit.sections.rnglists;
    if (!section) throw new DwarfFormatError('.debug_rnglists is missing');
    return readRnglist(unit, section, listOffset(unit, attr, section, '.debug_rnglists', unit.rnglistsBase));
  }
  const section = unit.sections.ranges;
  if (!section) throw new DwarfFormatError('.debug_ranges is missing');
  return readDebugRanges(unit, section, Number(attr.raw));
}

function readRnglist(unit: Unit, section: Uint8Array, offset: number): AddressRange[] {
  const reader = dwarfReader(section, '.debug_rnglists', offset);
  const size = unit.addressSize;
  let base = unit.baseAddress;
  const ranges: AddressRange[] = [];
  for (;;) {
    const at = reader.pos;
    const kind = reader.u8();
    switch (kind) {
      case DW_RLE.end_of_list:
        return ranges;
      case DW_RLE.base_addressx:
        base = unit.indexedAddress(reader.uleb());
        break;
      case DW_RLE.startx_endx: {
        const low = unit.indexedAddress(reader.uleb());
        ranges.push({ low, high: unit.indexedAddress(reader.uleb()) });
        break;
      }
      case DW_RLE.startx_length: {
        const low = unit.indexedAddress(reader.uleb());
        ranges.push({ low, high: (low + reader.uleb()) & MASK64 });
        break;
      }
      case DW_RLE.offset_pair: {
        const low = (base + reader.uleb()) & MASK64;
        ranges.push({ low, high: (base + reader.uleb()) & MASK64 });
        break;
      }
      case DW_RLE.base_address:
        base = reader.address(size);
        break;
      case DW_RLE.start_end: {
        const low = reader.address(size);
        ranges.push({ low, high: reader.address(size) });
        break;
      }
      case DW_RLE.start_length: {
        const low = reader.address(size);
        ranges.push({ low, high: (low + reader.uleb()) & MASK64 });
        break;
      }
      default:
        throw new DwarfFormatError(`.debug_rnglists: unknown entry kind ${hex(kind)} at offset ${hex(at)}`);
    }
  }
}

function readDebugRanges(unit: Unit, section: Uint8Array, offset: number): AddressRange[] {
  const reader = dwarfReader(section, '.debug_ranges', offset);
  const size = unit.addressSize;
  const max = maxAddress(unit);
  let base = unit.baseAddress;
  const ranges: AddressRange[] = [];
  for (;;) {
    const start = reader.address(size);
    const end = reader.address(size);
    if (start === 0n && end === 0n) return ranges;
    if (start === max) {
      base = end;
      continue;
    }
    ranges.push({ low: (base + start) & MASK64, high: (base + end) & MASK64 });
  }
}

/** The entries of a location list (DW_AT_location etc. with a loclist-class form). */
export function readLocationList(unit: Unit, attr: Attribute): LocationListEntry[] {
  if (unit.version >= 5) {
    const section = unit.sections.loclists;
    if (!section) throw new DwarfFormatError('.debug_loclists is missing');
    return readLoclist(unit, section, listOffset(unit, attr, section, '.debug_loclists', unit.loclistsBase));
  }
  const section = unit.sections.loc;
  if (!section) throw new DwarfFormatError('.debug_loc is missing');
  return readDebugLoc(unit, section, Number(attr.raw));
}

function readLoclist(unit: Unit, section: Uint8Array, offset: number): LocationListEntry[] {
  const reader = dwarfReader(section, '.debug_loclists', offset);
  const size = unit.addressSize;
  let base = unit.baseAddress;
  const entries: LocationListEntry[] = [];
  const expression = (): Uint8Array => reader.bytesOf(reader.ulebNumber('expression length'), 'location expression');
  const push = (low: bigint, high: bigint): void => void entries.push({ range: { low, high }, expression: expression() });
  for (;;) {
    const at = reader.pos;
    const kind = reader.u8();
    switch (kind) {
      case DW_LLE.end_of_list:
        return entries;
      case DW_LLE.base_addressx:
        base = unit.indexedAddress(reader.uleb());
        break;
      case DW_LLE.startx_endx: {
        const low = unit.indexedAddress(reader.uleb());
        push(low, unit.indexedAddress(reader.uleb()));
        break;
      }
      case DW_LLE.startx_length: {
        const low = unit.indexedAddress(reader.uleb());
        push(low, (low + reader.uleb()) & MASK64);
        break;
      }
      case DW_LLE.offset_pair: {
        const low = (base + reader.uleb()) & MASK64;
        push(low, (base + reader.uleb()) & MASK64);
        break;
      }
      case DW_LLE.default_location:
        entries.push({ expression: expression() });
        break;
      case DW_LLE.base_address:
        base = reader.address(size);
        break;
      case DW_LLE.start_end: {
        const low = reader.address(size);
        push(low, reader.address(size));
        break;
      }
      case DW_LLE.start_length: {
        const low = reader.address(size);
        push(low, (low + reader.uleb()) & MASK64);
        break;
      }
      case DW_LLE.GNU_view_pair:
        reader.uleb(); // location views: which of several entries at one address applies;
        reader.uleb(); // a debugger stopped at an address uses the last one, so they are skipped
        break;
      default:
        throw new DwarfFormatError(`.debug_loclists: unknown entry kind ${hex(kind)} at offset ${hex(at)}`);
    }
  }
}

function readDebugLoc(unit: Unit, section: Uint8Array, offset: number): LocationListEntry[] {
  const reader = dwarfReader(section, '.debug_loc', offset);
  const size = unit.addressSize;
  const max = maxAddress(unit);
  let base = unit.baseAddress;
  const entries: LocationListEntry[] = [];
  for (;;) {
    const start = reader.address(size);
    const end = reader.address(size);
    if (start === 0n && end === 0n) return entries;
    if (start === max) {
      base = end;
      continue;
    }
    const length = reader.u16();
    entries.push({ range: { low: (base + start) & MASK64, high: (base + end) & MASK64 }, expression: reader.bytesOf(length, 'location expression') });
  }
}

/** Whether an attribute form refers to a location list (rather than holding an expression). */
export function isLocationListForm(unit: Unit, form: number): boolean {
  if (form === DW_FORM.loclistx || form === DW_FORM.sec_offset) return true;
  // DWARF 2/3 used data4/data8 for loclist offsets.
  return unit.version < 4 && (form === DW_FORM.data4 || form === DW_FORM.data8);
}
