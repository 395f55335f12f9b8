// The ELF reader: parse any x86-64 ELF64 little-endian file (executable, PIE, static-pie, shared
// object, core) into headers, sections, symbols and notes.
export { ElfFile } from './elf-file';
export { ElfFormatError } from './errors';
export type { ElfHeader } from './header';
export type { ProgramHeader } from './program-headers';
export type { SectionHeader } from './section-headers';
export type { ElfSymbol } from './symbols';
export type { ElfNote } from './notes';
export type { FileLocation } from './address-map';
export { SymbolTable } from './symbol-table';
export type { FunctionLocation } from './symbol-table';
export { parseNotes } from './notes';
export * from './names';
export * as elfConstants from './constants';
