// Section headers (Elf64_Shdr) with their names resolved through the section name string table.
import { ElfBytes } from './bytes';
import * as C from './constants';
import { ElfFormatError, hex } from './errors';
import { ElfHeader } from './header';
import { StringTable } from './strings';

export interface SectionHeader {
  readonly index: number;
  readonly name: string;
  readonly nameOffset: number;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: bigint;
  readonly size: bigint;
  readonly link: number;
  readonly info: number;
  readonly addralign: bigint;
  readonly entsize: bigint;
}

/** True when the section occupies bytes in the file (not SHT_NULL/SHT_NOBITS, non-empty). */
export function hasFileData(section: Pick<SectionHeader, 'type' | 'size'>): boolean {
  return section.type !== C.SHT_NULL && section.type !== C.SHT_NOBITS && section.size !== 0n;
}

type RawSection = Omit<SectionHeader, 'name'>;

function readRawSections(file: ElfBytes, header: ElfHeader): RawSection[] {
  if (header.shnum === 0) return [];
  const table = file.require(
    header.shoff,
    BigInt(header.shnum) * BigInt(C.ELF64_SHDR_SIZE),
    () => `section header table (e_shoff=${hex(header.shoff)}, ${header.shnum} entries of 0x40 bytes)`,
  );
  const sections: RawSection[] = [];
  for (let index = 0; index < header.shnum; index++) {
    const at = table + index * C.ELF64_SHDR_SIZE;
    const section: RawSection = {
      index,
      nameOffset: file.u32(at),
      type: file.u32(at + 4),
      flags: file.u64(at + 8),
      addr: file.u64(at + 16),
      offset: file.u64(at + 24),
      size: file.u64(at + 32),
      link: file.u32(at + 40),
      info: file.u32(at + 44),
      addralign: file.u64(at + 48),
      entsize: file.u64(at + 56),
    };
    if (hasFileData(section)) {
      file.require(section.offset, section.size, () => `section header ${index} (sh_offset=${hex(section.offset)}, sh_size=${hex(section.size)})`);
    }
    sections.push(section);
  }
  return sections;
}

function sectionNameTable(file: ElfBytes, header: ElfHeader, sections: RawSection[]): StringTable | undefined {
  if (header.shstrndx === C.SHN_UNDEF || sections.length === 0) return undefined;
  const strtab = sections[header.shstrndx];
  const label = `the section name string table (section ${header.shstrndx})`;
  if (!hasFileData(strtab)) {
    if (strtab.type === C.SHT_NOBITS) throw new ElfFormatError(`${label} is SHT_NOBITS and has no data`);
    return new StringTable(new Uint8Array(0), label);
  }
  return new StringTable(file.view8(Number(strtab.offset), Number(strtab.size)), label);
}

export function parseSectionHeaders(file: ElfBytes, header: ElfHeader): SectionHeader[] {
  const raw = readRawSections(file, header);
  const names = sectionNameTable(file, header, raw);
  return raw.map((section) => ({
    ...section,
    name: names ? names.get(section.nameOffset, () => `section header ${section.index}: sh_name`) : '',
  }));
}
