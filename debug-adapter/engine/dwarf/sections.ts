// The .debug_* sections of one ELF file, inflated when compressed (SHF_COMPRESSED through the ELF
// reader, and the older GNU `.zdebug_*` form: "ZLIB", 8-byte big-endian size, zlib stream).
import { inflateSync } from 'node:zlib';
import type { ElfFile } from '../../../native/lib/elf';
import { DwarfFormatError } from './errors';

export interface DebugSections {
  readonly info?: Uint8Array;
  readonly abbrev?: Uint8Array;
  readonly line?: Uint8Array;
  readonly str?: Uint8Array;
  readonly lineStr?: Uint8Array;
  readonly strOffsets?: Uint8Array;
  readonly addr?: Uint8Array;
  readonly ranges?: Uint8Array;
  readonly rnglists?: Uint8Array;
  readonly loc?: Uint8Array;
  readonly loclists?: Uint8Array;
  readonly types?: Uint8Array;
  readonly aranges?: Uint8Array;
}

const NAMES: ReadonlyArray<[keyof DebugSections, string]> = [
  ['info', '.debug_info'],
  ['abbrev', '.debug_abbrev'],
  ['line', '.debug_line'],
  ['str', '.debug_str'],
  ['lineStr', '.debug_line_str'],
  ['strOffsets', '.debug_str_offsets'],
  ['addr', '.debug_addr'],
  ['ranges', '.debug_ranges'],
  ['rnglists', '.debug_rnglists'],
  ['loc', '.debug_loc'],
  ['loclists', '.debug_loclists'],
  ['types', '.debug_types'],
  ['aranges', '.debug_aranges'],
];

function inflateZdebug(raw: Uint8Array, name: string): Uint8Array {
  const magic = String.fromCharCode(...raw.subarray(0, 4));
  if (raw.length < 12 || magic !== 'ZLIB') throw new DwarfFormatError(`${name}: a .zdebug section must start with "ZLIB" and an 8-byte size`);
  const size = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getBigUint64(4, false);
  if (size > 0x7fffffffn) throw new DwarfFormatError(`${name}: uncompressed size ${size} is too large`);
  let out: Buffer;
  try {
    out = inflateSync(raw.subarray(12), { maxOutputLength: Math.max(Number(size), 1) });
  } catch (error) {
    throw new DwarfFormatError(`${name}: zlib data is corrupt (${(error as Error).message})`);
  }
  if (out.length !== Number(size)) throw new DwarfFormatError(`${name}: inflated to ${out.length} bytes, header says ${size}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Reads every DWARF section the engine uses; absent sections are undefined. */
export function loadDebugSections(elf: ElfFile): DebugSections {
  const found: Partial<Record<keyof DebugSections, Uint8Array>> = {};
  for (const [key, name] of NAMES) {
    const plain = elf.section(name);
    if (plain) {
      found[key] = elf.sectionData(plain);
      continue;
    }
    const zname = `.z${name.slice(1)}`;
    const compressed = elf.section(zname);
    if (compressed) found[key] = inflateZdebug(elf.rawSectionData(compressed), zname);
  }
  return found;
}
