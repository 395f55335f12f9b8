// ElfFile: one parsed ELF64 x86-64 file. Headers are decoded and range-checked eagerly (a malformed
// file fails at construction); symbols, notes and section contents are decoded on demand and cached.
import { readInputFile } from '../input-file';
import { AddressMap, FileLocation } from './address-map';
import { ElfBytes } from './bytes';
import { decompressSection } from './compression';
import * as C from './constants';
import { ElfFormatError, hex } from './errors';
import { ElfHeader, parseElfHeader } from './header';
import { ElfNote, parseNotes } from './notes';
import { ProgramHeader, parseProgramHeaders } from './program-headers';
import { SectionHeader, hasFileData, parseSectionHeaders } from './section-headers';
import { ElfSymbol, parseSymbols } from './symbols';

export class ElfFile {
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  readonly programHeaders: readonly ProgramHeader[];
  readonly sections: readonly SectionHeader[];
  private readonly file: ElfBytes;
  private readonly addresses: AddressMap;
  private readonly symbolCache = new Map<number, ElfSymbol[]>();
  private readonly contentCache = new Map<number, Uint8Array>();

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.file = new ElfBytes(bytes);
    this.header = parseElfHeader(this.file);
    this.programHeaders = parseProgramHeaders(this.file, this.header);
    this.sections = parseSectionHeaders(this.file, this.header);
    this.addresses = new AddressMap(this.programHeaders);
  }

  static fromFile(path: string): ElfFile {
    return new ElfFile(readInputFile(path));
  }

  /** The first section with this name. */
  section(name: string): SectionHeader | undefined {
    return this.sections.find((s) => s.name === name);
  }

  sectionsOfType(type: number): SectionHeader[] {
    return this.sections.filter((s) => s.type === type);
  }

  /** The section's bytes as stored in the file (still compressed if SHF_COMPRESSED); a view. */
  rawSectionData(section: SectionHeader): Uint8Array {
    if (!hasFileData(section)) return new Uint8Array(0);
    return this.file.view8(Number(section.offset), Number(section.size));
  }

  /**
   * The section's contents, inflated when SHF_COMPRESSED. Uncompressed sections are views into the
   * file; SHT_NOBITS sections (e.g. .bss) have no file bytes and give an empty array.
   * A name that matches no section gives undefined.
   */
  sectionData(section: SectionHeader | string): Uint8Array | undefined {
    const header = typeof section === 'string' ? this.section(section) : section;
    if (!header) return undefined;
    const raw = this.rawSectionData(header);
    if ((header.flags & C.SHF_COMPRESSED) === 0n) return raw;
    let inflated = this.contentCache.get(header.index);
    if (!inflated) {
      inflated = decompressSection(raw, `section ${header.index} (${header.name || 'unnamed'})`);
      this.contentCache.set(header.index, inflated);
    }
    return inflated;
  }

  /** Symbols of one symbol table section (by name or header), in table order. Missing → []. */
  symbols(table: SectionHeader | string = '.symtab'): ElfSymbol[] {
    const header = typeof table === 'string' ? this.section(table) : table;
    if (!header) return [];
    let symbols = this.symbolCache.get(header.index);
    if (!symbols) {
      symbols = parseSymbols(this.file, this.sections, header);
      this.symbolCache.set(header.index, symbols);
    }
    return symbols;
  }

  /** Symbols of every SHT_SYMTAB and SHT_DYNSYM section. */
  allSymbols(): ElfSymbol[] {
    return this.sections.filter((s) => s.type === C.SHT_SYMTAB || s.type === C.SHT_DYNSYM).flatMap((s) => this.symbols(s));
  }

  /** Notes in SHT_NOTE sections, in section order. */
  sectionNotes(): ElfNote[] {
    return this.sectionsOfType(C.SHT_NOTE).flatMap((s) =>
      hasFileData(s) ? parseNotes(this.rawSectionData(s), Number(s.offset), s.addralign, s.name || `section ${s.index}`) : [],
    );
  }

  /** Notes in PT_NOTE segments, in program header order. */
  segmentNotes(): ElfNote[] {
    return this.programHeaders
      .filter((ph) => ph.type === C.PT_NOTE && ph.filesz !== 0n)
      .flatMap((ph) => parseNotes(this.segmentData(ph), Number(ph.offset), ph.align, `PT_NOTE segment ${ph.index}`));
  }

  /** Notes as readelf -n lists them: from sections when the file has any SHT_NOTE, else from segments. */
  notes(): ElfNote[] {
    return this.sectionsOfType(C.SHT_NOTE).length > 0 ? this.sectionNotes() : this.segmentNotes();
  }

  /** The file bytes of a segment (p_filesz bytes at p_offset); a view. */
  segmentData(segment: ProgramHeader): Uint8Array {
    if (segment.filesz === 0n) return new Uint8Array(0);
    return this.file.view8(Number(segment.offset), Number(segment.filesz));
  }

  /** PT_LOAD containing `address` in memory. */
  segmentAt(address: bigint): ProgramHeader | undefined {
    return this.addresses.segmentAt(address);
  }

  /** File offset of a virtual address through PT_LOAD, or undefined if it has no file bytes. */
  addressToOffset(address: bigint): bigint | undefined {
    return this.addresses.toOffset(address);
  }

  locate(address: bigint): FileLocation | undefined {
    return this.addresses.locate(address);
  }

  /** `length` file-backed bytes at a virtual address (a view), or undefined if not all are in the file. */
  bytesAt(address: bigint, length: number): Uint8Array | undefined {
    const where = this.addresses.locate(address);
    if (!where || BigInt(length) > where.available) return undefined;
    return this.file.view8(Number(where.offset), length);
  }

  /** Like bytesAt, but throws an ElfFormatError naming the address. */
  requireBytesAt(address: bigint, length: number, what: string): Uint8Array {
    const bytes = this.bytesAt(address, length);
    if (!bytes) throw new ElfFormatError(`${what}: ${hex(length)} bytes at address ${hex(address)} are not in any PT_LOAD segment's file data`);
    return bytes;
  }
}
