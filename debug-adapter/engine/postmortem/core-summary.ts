// The post-mortem view of a crash dump: the fault in words (from our MICROVM note), the registers
// (NT_PRSTATUS) and a gdb-like source backtrace, for `microvm core` and the debug adapter.
import { ElfFile, elfConstants } from '../../../native/lib/elf';
import { readCoreStatus, readMicroVmNote, type CoreRegisters } from '../../../native/lib/coredump';
import { DebugInfo } from '../dwarf';
import { ElfSegmentMemory, loadBiasFromEntry } from '../unwind';
import { DEFAULT_BACKTRACE_FRAMES, sourceBacktrace, type Backtrace } from './backtrace';

export interface CoreSummary {
  /** The fault in words, from the MICROVM note; undefined for a core that has none (a Linux core). */
  readonly description: string | undefined;
  readonly call: string | undefined;
  readonly signal: number;
  readonly registers: CoreRegisters;
  readonly backtrace: Backtrace;
  readonly note: Record<string, unknown> | undefined;
}

/** Where the core says the guest image was loaded, relative to its link addresses (AT_ENTRY − e_entry). */
export function coreLoadBias(guest: ElfFile, core: ElfFile): bigint {
  const entry = readCoreStatus(core).auxv.get(elfConstants.AT_ENTRY);
  return entry !== undefined ? loadBiasFromEntry(guest, entry) : 0n;
}

export interface SummaryOptions {
  /** Frames of the backtrace described (the rest are counted); default 64, Infinity for all. */
  readonly maxFrames?: number;
}

export function summarizeCore(guest: ElfFile, core: ElfFile, options: SummaryOptions = {}): CoreSummary {
  const status = readCoreStatus(core);
  const loadBias = coreLoadBias(guest, core);
  const info = new DebugInfo(guest, { loadBias });
  const memory = new ElfSegmentMemory(core);
  const note = readMicroVmNote(core);
  return {
    description: typeof note?.description === 'string' ? note.description : undefined,
    call: typeof note?.call === 'string' ? note.call : undefined,
    signal: status.signal,
    registers: status.registers,
    backtrace: sourceBacktrace(info, status.registers, memory, options.maxFrames ?? DEFAULT_BACKTRACE_FRAMES),
    note,
  };
}

const REGISTER_ORDER = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'rflags'] as const;

/** The registers in gdb's `info registers` layout: name, hex, and natural value. */
export function formatCoreRegisters(registers: CoreRegisters): string {
  const lines = REGISTER_ORDER.map((name) => {
    const value = (registers as unknown as Record<string, bigint>)[name];
    const hex = `0x${BigInt.asUintN(64, value).toString(16)}`;
    const natural = name === 'rip' || name === 'rsp' || name === 'rbp' ? hex : BigInt.asIntN(64, value).toString();
    return `${(name === 'rflags' ? 'eflags' : name).padEnd(15)}${hex.padEnd(19)}${natural}`;
  });
  for (const [name, selector] of Object.entries(registers.selectors)) lines.push(`${name.padEnd(15)}${`0x${selector.toString(16)}`.padEnd(19)}${selector}`);
  lines.push(`${'fs_base'.padEnd(15)}0x${registers.fsBase.toString(16)}`);
  lines.push(`${'gs_base'.padEnd(15)}0x${registers.gsBase.toString(16)}`);
  return lines.join('\n');
}
