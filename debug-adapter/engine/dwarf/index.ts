// Public API of the DWARF engine (filled in below as modules land).
export { DwarfFile } from './dwarf-file';
export { decodeLineProgram, readLineProgramHeader, lineFilePath } from './line-program';
export type { LineProgram, LineProgramHeader, LineRow, LineFileEntry } from './line-program';
export { BinutilsAddr2line, formatAddr2line } from './binutils/addr2line';
export type { Addr2lineFrame, Addr2lineResult, Addr2lineFormat } from './binutils/addr2line';
