// ELF core files for faulted micro-VM guests; the format is described in docs/crash-dump.md.
export type { CoreDumpInput, CoreRegionInput } from './input';
export { buildCoreFile } from './build';
export { writeCoreFile } from './write';
export { layoutCore } from './layout';
export type { CoreLayout, CoreSegment } from './layout';
export { CoreFormatError } from './errors';
export { readCoreRegisters, readCoreStatus, readMicroVmNote } from './read';
export type { CoreRegisters, CoreStatus, SegmentName } from './read';
export { signalForVector, siCodeForVector, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP } from './signals';
export { encodeMicroVmNote, encodeNoteJson, decodeMicroVmNote, faultNoteDetails, MICROVM_NOTE_NAME, MICROVM_NOTE_VERSION, NT_MICROVM_FAULT } from './microvm-note';
export type { FaultNoteContext } from './microvm-note';
export { USER_REGS, PRSTATUS_SIZE, PR_REG_OFFSET } from './prstatus';
export type { GeneralRegisterName } from './prstatus';
export { FXSAVE_SIZE } from './fpregset';
