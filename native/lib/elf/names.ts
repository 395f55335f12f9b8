// Human-readable names for ELF enumerations, spelled as `readelf -W` prints them so tools built
// on this reader (the CLI's `inspect`, crash reports) read like the binutils everyone knows.
import * as C from './constants';

const SECTION_TYPES: ReadonlyMap<number, string> = new Map([
  [C.SHT_NULL, 'NULL'], [C.SHT_PROGBITS, 'PROGBITS'], [C.SHT_SYMTAB, 'SYMTAB'], [C.SHT_STRTAB, 'STRTAB'],
  [C.SHT_RELA, 'RELA'], [C.SHT_HASH, 'HASH'], [C.SHT_DYNAMIC, 'DYNAMIC'], [C.SHT_NOTE, 'NOTE'],
  [C.SHT_NOBITS, 'NOBITS'], [C.SHT_REL, 'REL'], [C.SHT_SHLIB, 'SHLIB'], [C.SHT_DYNSYM, 'DYNSYM'],
  [C.SHT_INIT_ARRAY, 'INIT_ARRAY'], [C.SHT_FINI_ARRAY, 'FINI_ARRAY'], [C.SHT_PREINIT_ARRAY, 'PREINIT_ARRAY'],
  [C.SHT_GROUP, 'GROUP'], [C.SHT_SYMTAB_SHNDX, 'SYMTAB SECTION INDICES'], [C.SHT_RELR, 'RELR'],
  [C.SHT_GNU_ATTRIBUTES, 'GNU_ATTRIBUTES'], [C.SHT_GNU_HASH, 'GNU_HASH'], [C.SHT_GNU_LIBLIST, 'GNU_LIBLIST'],
  [C.SHT_GNU_VERDEF, 'VERDEF'], [C.SHT_GNU_VERNEED, 'VERNEED'], [C.SHT_GNU_VERSYM, 'VERSYM'],
  [C.SHT_X86_64_UNWIND, 'X86_64_UNWIND'],
]);

const SEGMENT_TYPES: ReadonlyMap<number, string> = new Map([
  [C.PT_NULL, 'NULL'], [C.PT_LOAD, 'LOAD'], [C.PT_DYNAMIC, 'DYNAMIC'], [C.PT_INTERP, 'INTERP'],
  [C.PT_NOTE, 'NOTE'], [C.PT_SHLIB, 'SHLIB'], [C.PT_PHDR, 'PHDR'], [C.PT_TLS, 'TLS'],
  [C.PT_GNU_EH_FRAME, 'GNU_EH_FRAME'], [C.PT_GNU_STACK, 'GNU_STACK'], [C.PT_GNU_RELRO, 'GNU_RELRO'],
  [C.PT_GNU_PROPERTY, 'GNU_PROPERTY'], [C.PT_GNU_SFRAME, 'GNU_SFRAME'],
]);

const FILE_TYPES: ReadonlyMap<number, string> = new Map([
  [C.ET_NONE, 'NONE'], [C.ET_REL, 'REL'], [C.ET_EXEC, 'EXEC'], [C.ET_DYN, 'DYN'], [C.ET_CORE, 'CORE'],
]);

const SYMBOL_TYPES: ReadonlyMap<number, string> = new Map([
  [C.STT_NOTYPE, 'NOTYPE'], [C.STT_OBJECT, 'OBJECT'], [C.STT_FUNC, 'FUNC'], [C.STT_SECTION, 'SECTION'],
  [C.STT_FILE, 'FILE'], [C.STT_COMMON, 'COMMON'], [C.STT_TLS, 'TLS'], [C.STT_GNU_IFUNC, 'IFUNC'],
]);

const SYMBOL_BINDS: ReadonlyMap<number, string> = new Map([
  [C.STB_LOCAL, 'LOCAL'], [C.STB_GLOBAL, 'GLOBAL'], [C.STB_WEAK, 'WEAK'], [C.STB_GNU_UNIQUE, 'UNIQUE'],
]);

const VISIBILITIES = ['DEFAULT', 'INTERNAL', 'HIDDEN', 'PROTECTED'] as const;

// sh_flags letters in the order readelf prints them (ascending bit order).
const SECTION_FLAG_LETTERS: readonly (readonly [bigint, string])[] = [
  [C.SHF_WRITE, 'W'], [C.SHF_ALLOC, 'A'], [C.SHF_EXECINSTR, 'X'], [C.SHF_MERGE, 'M'], [C.SHF_STRINGS, 'S'],
  [C.SHF_INFO_LINK, 'I'], [C.SHF_LINK_ORDER, 'L'], [C.SHF_OS_NONCONFORMING, 'O'], [C.SHF_GROUP, 'G'],
  [C.SHF_TLS, 'T'], [C.SHF_COMPRESSED, 'C'], [C.SHF_GNU_RETAIN, 'R'], [C.SHF_GNU_MBIND, 'D'],
  [C.SHF_X86_64_LARGE, 'l'], [C.SHF_EXCLUDE, 'E'],
];

function rangeName(value: number, fallback: string): string {
  if (value >= 0x60000000 && value <= 0x6fffffff) return `LOOS+0x${(value - 0x60000000).toString(16)}`;
  if (value >= 0x70000000 && value <= 0x7fffffff) return `LOPROC+0x${(value - 0x70000000).toString(16)}`;
  return `${fallback}: 0x${value.toString(16)}`;
}

export function sectionTypeName(type: number): string {
  return SECTION_TYPES.get(type) ?? rangeName(type, '<unknown>');
}

export function segmentTypeName(type: number): string {
  return SEGMENT_TYPES.get(type) ?? rangeName(type, '<unknown>');
}

export function fileTypeName(type: number): string {
  return FILE_TYPES.get(type) ?? `<unknown>: 0x${type.toString(16)}`;
}

export function symbolTypeName(type: number): string {
  return SYMBOL_TYPES.get(type) ?? `<unknown>: ${type}`;
}

export function symbolBindName(bind: number): string {
  return SYMBOL_BINDS.get(bind) ?? `<unknown>: ${bind}`;
}

export function symbolVisibilityName(visibility: number): string {
  return VISIBILITIES[visibility & 3];
}

/** sh_flags as readelf's `Flg` column, e.g. `WAX`; bits it has no letter for are shown as `x`. */
export function sectionFlagsString(flags: bigint): string {
  let text = '';
  let rest = flags;
  for (const [bit, letter] of SECTION_FLAG_LETTERS) {
    if ((flags & bit) !== 0n) {
      text += letter;
      rest &= ~bit;
    }
  }
  return rest === 0n ? text : `${text}x`;
}

/** p_flags as readelf's three-character `Flg` column, e.g. `R E`. */
export function segmentFlagsString(flags: number): string {
  return `${flags & C.PF_R ? 'R' : ' '}${flags & C.PF_W ? 'W' : ' '}${flags & C.PF_X ? 'E' : ' '}`;
}
