// NT_PRSTATUS: struct elf_prstatus of x86-64 Linux (336 bytes), which carries the general
// registers gdb unwinds from. Layout (byte offsets):
//   0 pr_info {si_signo, si_code, si_errno}   12 pr_cursig (u16)   16 pr_sigpend   24 pr_sighold
//   32 pr_pid  36 pr_ppid  40 pr_pgrp  44 pr_sid   48..111 four struct timeval (utime, stime, cutime, cstime)
//   112 pr_reg: 27 × u64 user_regs_struct   328 pr_fpvalid (i32)   332 padding
import type { Registers } from '../types';
import { CoreFormatError } from './errors';

export const PRSTATUS_SIZE = 336;
export const PR_REG_OFFSET = 112;

/** user_regs_struct in kernel order; the index is the u64 slot in pr_reg. */
export const USER_REGS = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;
export type UserRegName = (typeof USER_REGS)[number];

export type GeneralRegisterName =
  | 'rax' | 'rbx' | 'rcx' | 'rdx' | 'rsi' | 'rdi' | 'rbp' | 'rsp'
  | 'r8' | 'r9' | 'r10' | 'r11' | 'r12' | 'r13' | 'r14' | 'r15' | 'rip' | 'rflags';

export interface PrStatus {
  readonly signal: number;
  readonly pid: number;
  readonly fpvalid: boolean;
  /** The 27 user_regs_struct values by name. */
  readonly regs: Readonly<Record<UserRegName, bigint>>;
}

/** The user_regs_struct image of the guest's registers. orig_rax is −1: not inside a system call. */
export function userRegsFrom(registers: Registers): Record<UserRegName, bigint> {
  return {
    r15: registers.r15, r14: registers.r14, r13: registers.r13, r12: registers.r12,
    rbp: registers.rbp, rbx: registers.rbx, r11: registers.r11, r10: registers.r10,
    r9: registers.r9, r8: registers.r8, rax: registers.rax, rcx: registers.rcx,
    rdx: registers.rdx, rsi: registers.rsi, rdi: registers.rdi,
    orig_rax: 0xffffffffffffffffn,
    rip: registers.rip, cs: BigInt(registers.cs.selector), eflags: registers.rflags, rsp: registers.rsp,
    ss: BigInt(registers.ss.selector), fs_base: registers.fs.base, gs_base: registers.gs.base,
    ds: BigInt(registers.ds.selector), es: BigInt(registers.es.selector),
    fs: BigInt(registers.fs.selector), gs: BigInt(registers.gs.selector),
  };
}

export function encodePrStatus(status: PrStatus): Uint8Array {
  const bytes = new Uint8Array(PRSTATUS_SIZE);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, status.signal, true); // pr_info.si_signo
  view.setUint16(12, status.signal, true); // pr_cursig
  view.setInt32(32, status.pid, true); // pr_pid
  view.setInt32(40, status.pid, true); // pr_pgrp
  view.setInt32(44, status.pid, true); // pr_sid
  USER_REGS.forEach((name, i) => view.setBigUint64(PR_REG_OFFSET + i * 8, BigInt.asUintN(64, status.regs[name]), true));
  view.setInt32(328, status.fpvalid ? 1 : 0, true);
  return bytes;
}

export function decodePrStatus(desc: Uint8Array): PrStatus {
  if (desc.length < PRSTATUS_SIZE) {
    throw new CoreFormatError(`NT_PRSTATUS descriptor is ${desc.length} bytes; x86-64 elf_prstatus is ${PRSTATUS_SIZE}`);
  }
  const view = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
  const regs = {} as Record<UserRegName, bigint>;
  USER_REGS.forEach((name, i) => (regs[name] = view.getBigUint64(PR_REG_OFFSET + i * 8, true)));
  return { signal: view.getUint16(12, true), pid: view.getInt32(32, true), fpvalid: view.getInt32(328, true) !== 0, regs };
}
