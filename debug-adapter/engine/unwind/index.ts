// Call-stack unwinding from DWARF CFI (.eh_frame, .eh_frame_hdr, .debug_frame) with a frame-pointer
// fallback. No DAP or VS Code types: frames are pcs, CFAs and registers.
//
//   const module = new CfiModule(ElfFile.fromFile(elfPath), { name: 'guest', loadBias });
//   const { frames, stopReason } = unwind(registers, memory, [module]);
export { unwind } from './unwinder';
export type { PhysicalFrame, StopReason, UnwindMethod, UnwindOptions, UnwindResult } from './unwinder';
export { CfiModule, loadBiasFromEntry } from './module';
export type { CfiMatch, CfiModuleOptions } from './module';
export { BlockMemory, ElfSegmentMemory, LayeredMemory, readU64, readUnsigned } from './memory';
export type { Memory } from './memory';
export { CfiSection } from './entries';
export type { CfiEntry, CfiSectionKind, CommonInformationEntry, FrameDescriptionEntry } from './entries';
export { EhFrameHdrIndex, SortedFdeIndex } from './fde-index';
export type { EhFrameHeader, FdeLookup } from './fde-index';
export { unwindRowAt, unwindRows } from './cfa-program';
export type { CfaRule, RegisterRule, UnwindRow } from './rules';
export { evaluateExpression } from './expression';
export type { ExpressionContext, ExpressionEvaluator } from './expression';
export { readEncodedPointer, readEncodedValue } from './pointer-encoding';
export type { PointerBases } from './pointer-encoding';
export { ByteReader, cfiReader } from './reader';
export { CfiFormatError } from './errors';
export { DWARF_RA, DWARF_RBP, DWARF_RSP, GENERAL_REGISTERS, generalRegisterName, fromRegisterSet, toRegisterSet } from './registers';
export type { FrameRegisters, GeneralRegisterName, GeneralRegisters } from './registers';
