// x86-64 disassembly (iced-x86) for the debug engine: byte ranges at addresses, symbolized like
// objdump, and objdump-style listings of whole ELF files. No DAP or VS Code types.
//
//   const disassembler = new Disassembler({ symbolize: functionSymbolizer(SymbolTable.fromElf(elf)) });
//   const instructions = disassembler.disassemble(bytes, 0x401000n);
//   disassembler.dispose();
export { Disassembler } from './disassembler';
export type { DecodeOptions, DisassemblerOptions } from './disassembler';
export { elfSymbolizer, functionSymbolizer, formatSymbolReference } from './symbols';
export { SourceLines } from './source-lines';
export type { SourceLine } from './source-lines';
export { disassembleElf, executableSections, formatListingLine } from './listing';
export type { ListingLine, ListingOptions, ListingRange } from './listing';
export type { AsmSyntax, DisassembledInstruction, InstructionKind, SymbolReference, Symbolizer } from './types';
