// Reading our core files back (for `microvm core` and tests), through the ELF reader.
import { ElfFile } from '../elf';
import type { ElfNote } from '../elf';
import type { FpuState } from '../types';
import { decodeAuxv } from './auxv';
import { decodeFxsave } from './fpregset';
import { decodeMicroVmNote, MICROVM_NOTE_NAME, NT_MICROVM_FAULT } from './microvm-note';
import { NT_AUXV, NT_FPREGSET, NT_PRPSINFO, NT_PRSTATUS } from './notes';
import { decodePrPsInfo } from './prpsinfo';
import { decodePrStatus, GeneralRegisterName } from './prstatus';
import { CoreFormatError } from './errors';

export type SegmentName = 'cs' | 'ss' | 'ds' | 'es' | 'fs' | 'gs';

/** The registers a core's NT_PRSTATUS (and NT_FPREGSET) hold, named as in `Registers`. */
export interface CoreRegisters extends Record<GeneralRegisterName, bigint> {
  origRax: bigint;
  fsBase: bigint;
  gsBase: bigint;
  /** Segment selectors (a core has no descriptor caches). */
  selectors: Record<SegmentName, number>;
  /** From NT_FPREGSET, when present. */
  fpu?: FpuState;
}

export interface CoreStatus {
  readonly signal: number;
  readonly pid: number;
  readonly registers: CoreRegisters;
  /** pr_fname and pr_psargs from NT_PRPSINFO, when present. */
  readonly programName?: string;
  readonly commandLine?: string;
  /** NT_AUXV entries by AT_* type. */
  readonly auxv: Map<number, bigint>;
}

function asElf(core: Uint8Array | ElfFile): ElfFile {
  return core instanceof ElfFile ? core : new ElfFile(core);
}

function isCoreNote(note: ElfNote, type: number): boolean {
  return note.name === 'CORE' && note.type === type;
}

/** `decode(note.desc)`, its CoreFormatError saying where the note is. */
function decodeNote<T>(note: ElfNote, decode: (desc: Uint8Array) => T): T {
  try {
    return decode(note.desc);
  } catch (error) {
    if (!(error instanceof CoreFormatError)) throw error;
    throw new CoreFormatError(`${error.message} (note at file offset 0x${note.offset.toString(16)}, ${note.source})`);
  }
}

export function readCoreStatus(core: Uint8Array | ElfFile): CoreStatus {
  const elf = asElf(core);
  const notes = elf.segmentNotes(); // a core has no sections
  const prstatus = notes.find((n) => isCoreNote(n, NT_PRSTATUS));
  if (!prstatus) throw new CoreFormatError('the core file has no NT_PRSTATUS note (no registers): not a core file of a process');
  const status = decodeNote(prstatus, decodePrStatus);
  const r = status.regs;
  // NT_FPREGSET belongs to the thread of the NT_PRSTATUS before it.
  const after = notes.slice(notes.indexOf(prstatus) + 1);
  const nextThread = after.findIndex((n) => isCoreNote(n, NT_PRSTATUS));
  const fp = (nextThread < 0 ? after : after.slice(0, nextThread)).find((n) => isCoreNote(n, NT_FPREGSET));
  const psinfo = notes.find((n) => isCoreNote(n, NT_PRPSINFO));
  const auxv = notes.find((n) => isCoreNote(n, NT_AUXV));
  const info = psinfo ? decodeNote(psinfo, decodePrPsInfo) : undefined;
  const registers: CoreRegisters = {
    rax: r.rax, rbx: r.rbx, rcx: r.rcx, rdx: r.rdx, rsi: r.rsi, rdi: r.rdi, rbp: r.rbp, rsp: r.rsp,
    r8: r.r8, r9: r.r9, r10: r.r10, r11: r.r11, r12: r.r12, r13: r.r13, r14: r.r14, r15: r.r15,
    rip: r.rip, rflags: r.eflags, origRax: r.orig_rax, fsBase: r.fs_base, gsBase: r.gs_base,
    selectors: { cs: Number(r.cs), ss: Number(r.ss), ds: Number(r.ds), es: Number(r.es), fs: Number(r.fs), gs: Number(r.gs) },
    fpu: fp ? decodeNote(fp, decodeFxsave) : undefined,
  };
  return {
    signal: status.signal,
    pid: status.pid,
    registers,
    programName: info?.fname,
    commandLine: info?.psargs,
    auxv: auxv ? decodeNote(auxv, decodeAuxv) : new Map(),
  };
}

/** Registers of the faulting thread (the first NT_PRSTATUS). */
export function readCoreRegisters(core: Uint8Array | ElfFile): CoreRegisters {
  return readCoreStatus(core).registers;
}

/** The MICROVM note's JSON payload, or undefined for a core without one (e.g. a Linux core). */
export function readMicroVmNote(core: Uint8Array | ElfFile): Record<string, unknown> | undefined {
  const note = asElf(core).segmentNotes().find((n) => n.name === MICROVM_NOTE_NAME && n.type === NT_MICROVM_FAULT);
  return note ? decodeNote(note, decodeMicroVmNote) : undefined;
}
