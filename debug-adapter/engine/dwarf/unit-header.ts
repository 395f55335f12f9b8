// Unit headers of .debug_info (DWARF 2-5: compile, partial, type, skeleton and split units) and
// of the DWARF 4 .debug_types section.
import { DW_UT } from './constants';
import { DwarfFormatError, hex } from './errors';
import { dwarfReader } from './reader';

export interface UnitHeader {
  /** Offset of the unit (its initial length field) in its section. */
  readonly offset: number;
  /** Offset one past the unit's last byte. */
  readonly end: number;
  readonly version: number;
  /** DW_UT_* (DWARF 5); DW_UT_compile for v2-4 .debug_info and DW_UT_type for .debug_types. */
  readonly unitType: number;
  readonly addressSize: number;
  readonly offsetSize: 4 | 8;
  readonly abbrevOffset: number;
  /** Type units: the 8-byte signature and the offset (unit-relative) of the type DIE. */
  readonly typeSignature?: bigint;
  readonly typeOffset?: number;
  /** Skeleton and split units: the DWO id. */
  readonly dwoId?: bigint;
  /** Offset of the first DIE. */
  readonly dieOffset: number;
}

/**
 * Reads the unit header at `offset`. `typesSection` selects the DWARF 4 .debug_types layout.
 * Returns undefined for a zero-length unit (padding); throws on a malformed header.
 */
export function readUnitHeader(section: Uint8Array, offset: number, sectionName: string, typesSection = false): UnitHeader {
  const reader = dwarfReader(section, sectionName, offset);
  const { length, offsetSize } = reader.initialLength();
  const end = reader.pos + length;
  if (end > section.length) throw new DwarfFormatError(`${sectionName}: unit at ${hex(offset)} has length ${hex(length)} past the section end`);
  const version = reader.u16();
  if (version < 2 || version > 5) throw new DwarfFormatError(`${sectionName}: unit at ${hex(offset)} has unsupported version ${version}`);
  let unitType: number = typesSection ? DW_UT.type : DW_UT.compile;
  let addressSize: number;
  let abbrevOffset: bigint;
  if (version >= 5) {
    unitType = reader.u8();
    addressSize = reader.u8();
    abbrevOffset = reader.offset(offsetSize);
  } else {
    abbrevOffset = reader.offset(offsetSize);
    addressSize = reader.u8();
  }
  if (addressSize !== 4 && addressSize !== 8) throw new DwarfFormatError(`${sectionName}: unit at ${hex(offset)} has address size ${addressSize}`);
  let typeSignature: bigint | undefined;
  let typeOffset: number | undefined;
  let dwoId: bigint | undefined;
  if (unitType === DW_UT.type || unitType === DW_UT.split_type) {
    typeSignature = reader.u64();
    typeOffset = Number(reader.offset(offsetSize));
  } else if (unitType === DW_UT.skeleton || unitType === DW_UT.split_compile) {
    dwoId = reader.u64();
  } else if (unitType !== DW_UT.compile && unitType !== DW_UT.partial) {
    throw new DwarfFormatError(`${sectionName}: unit at ${hex(offset)} has unknown unit type ${hex(unitType)}`);
  }
  if (reader.pos > end) throw new DwarfFormatError(`${sectionName}: unit header at ${hex(offset)} is longer than the unit`);
  return {
    offset, end, version, unitType, addressSize, offsetSize, abbrevOffset: Number(abbrevOffset),
    typeSignature, typeOffset, dwoId, dieOffset: reader.pos,
  };
}

/**
 * Every unit header of a section, in order. Stops at zero padding at the end, and at the first
 * malformed header (everything after it is untrustworthy), which `onError` receives.
 */
export function readUnitHeaders(section: Uint8Array, sectionName: string, typesSection = false, onError?: (error: DwarfFormatError) => void): UnitHeader[] {
  const headers: UnitHeader[] = [];
  let offset = 0;
  while (offset + 4 <= section.length) {
    if (section[offset] === 0 && section.subarray(offset, Math.min(offset + 4, section.length)).every((b) => b === 0)) break;
    let header: UnitHeader;
    try {
      header = readUnitHeader(section, offset, sectionName, typesSection);
    } catch (error) {
      if (!(error instanceof DwarfFormatError) || !onError) throw error;
      onError(error);
      break;
    }
    headers.push(header);
    offset = header.end;
  }
  return headers;
}
