// Symbol tables (SHT_SYMTAB / SHT_DYNSYM, Elf64_Sym), with names and extended section indices
// (SHT_SYMTAB_SHNDX) resolved.
import { ElfBytes, dataView } from './bytes';
import * as C from './constants';
import { ElfFormatError, hex } from './errors';
import { SectionHeader, hasFileData } from './section-headers';
import { StringTable } from './strings';

export interface ElfSymbol {
  /** Index in its symbol table. */
  readonly index: number;
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint;
  /** STT_* (low 4 bits of st_info). */
  readonly type: number;
  /** STB_* (high 4 bits of st_info). */
  readonly bind: number;
  /** STV_* (low 2 bits of st_other). */
  readonly visibility: number;
  readonly other: number;
  /** st_shndx, or the SHT_SYMTAB_SHNDX entry when st_shndx is SHN_XINDEX. */
  readonly sectionIndex: number;
  /** Name of the symbol table section this symbol came from, e.g. `.symtab`. */
  readonly table: string;
}

function describe(section: SectionHeader): string {
  return `section ${section.index} (${section.name || 'unnamed'})`;
}

function linkedSection(sections: readonly SectionHeader[], owner: SectionHeader): SectionHeader {
  const linked = sections[owner.link];
  if (owner.link === C.SHN_UNDEF || linked === undefined) {
    throw new ElfFormatError(`${describe(owner)}: sh_link ${owner.link} is not a valid section index (e_shnum ${sections.length})`);
  }
  return linked;
}

function sectionBytes(file: ElfBytes, section: SectionHeader): Uint8Array {
  if (section.type === C.SHT_NOBITS) throw new ElfFormatError(`${describe(section)} is SHT_NOBITS and has no data`);
  return hasFileData(section) ? file.view8(Number(section.offset), Number(section.size)) : new Uint8Array(0);
}

function extendedIndices(file: ElfBytes, sections: readonly SectionHeader[], symtab: SectionHeader, count: number): DataView | undefined {
  const shndx = sections.find((s) => s.type === C.SHT_SYMTAB_SHNDX && s.link === symtab.index);
  if (!shndx) return undefined;
  const bytes = sectionBytes(file, shndx);
  if (bytes.length < count * 4) {
    throw new ElfFormatError(`${describe(shndx)}: sh_size ${hex(bytes.length)} is too small for ${count} extended section indices`);
  }
  return dataView(bytes);
}

export function parseSymbols(file: ElfBytes, sections: readonly SectionHeader[], symtab: SectionHeader): ElfSymbol[] {
  if (symtab.type !== C.SHT_SYMTAB && symtab.type !== C.SHT_DYNSYM) {
    throw new ElfFormatError(`${describe(symtab)} is not a symbol table (sh_type ${hex(symtab.type)})`);
  }
  if (symtab.entsize !== BigInt(C.ELF64_SYM_SIZE)) {
    throw new ElfFormatError(`${describe(symtab)}: sh_entsize ${hex(symtab.entsize)} is not 0x18 (the size of Elf64_Sym)`);
  }
  if (symtab.size % BigInt(C.ELF64_SYM_SIZE) !== 0n) {
    throw new ElfFormatError(`${describe(symtab)}: sh_size ${hex(symtab.size)} is not a multiple of 0x18`);
  }
  const strtab = linkedSection(sections, symtab);
  const strings = new StringTable(sectionBytes(file, strtab), `string table ${strtab.name || 'unnamed'} (section ${strtab.index})`);
  const count = Number(symtab.size / BigInt(C.ELF64_SYM_SIZE));
  const xindex = extendedIndices(file, sections, symtab, count);
  const base = Number(symtab.offset);
  const tableName = symtab.name;

  const symbols: ElfSymbol[] = [];
  for (let index = 0; index < count; index++) {
    const at = base + index * C.ELF64_SYM_SIZE;
    const info = file.u8(at + 4);
    const other = file.u8(at + 5);
    const shndx = file.u16(at + 6);
    symbols.push({
      index,
      name: strings.get(file.u32(at), () => `symbol ${index} of ${tableName}: st_name`),
      value: file.u64(at + 8),
      size: file.u64(at + 16),
      type: info & 0xf,
      bind: info >> 4,
      visibility: other & 3,
      other,
      sectionIndex: shndx === C.SHN_XINDEX && xindex ? xindex.getUint32(index * 4, true) : shndx,
      table: tableName,
    });
  }
  return symbols;
}
