// x86-64 registers by DWARF number (System V psABI, figure 3.36): the engine's one table. The DWARF
// evaluator names registers with it, the unwinder's columns are its general registers, the
// expression scope's `$name` views take their numbers from it. The names are the psABI's (and
// readelf's: `rflags`, `fs.base`); gdb's spellings (`eflags`, `fs_base`) are values/registers.ts's.

/** DWARF 0–16: the general registers and rip (column 16, the return address in CFI). */
export const GENERAL_REGISTERS = [
  'rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip',
] as const;

export type GeneralRegisterName = (typeof GENERAL_REGISTERS)[number];

/** es, cs, ss, ds, fs, gs: DWARF 50–55. */
export const SEGMENT_REGISTERS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

export const DWARF_RBP = 6;
export const DWARF_RSP = 7;
/** Column 16: the return address (rip of the caller). */
export const DWARF_RA = 16;
export const DWARF_RIP = 16;
/** xmm0–15: 17–32. */
export const DWARF_XMM0 = 17;
/** st0–7: 33–40. */
export const DWARF_ST0 = 33;
export const DWARF_MM0 = 41;
export const DWARF_RFLAGS = 49;
export const DWARF_ES = 50;
export const DWARF_FS_BASE = 58;
export const DWARF_GS_BASE = 59;
export const DWARF_MXCSR = 64;

const numbered = (count: number, prefix: string): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/** Names by DWARF number, 0–59 ('' where the psABI names none). */
export const X86_64_REGISTER_NAMES: readonly string[] = [
  ...GENERAL_REGISTERS, ...numbered(16, 'xmm'), ...numbered(8, 'st'), ...numbered(8, 'mm'),
  'rflags', ...SEGMENT_REGISTERS, '', '', 'fs.base', 'gs.base',
];

/** Name of a DWARF register number on x86-64 (`r<N>` when unnamed). */
export function registerName(regno: number): string {
  return X86_64_REGISTER_NAMES[regno] || `r${regno}`;
}

/** The general register (or rip) of a DWARF number 0–16, else undefined. */
export function generalRegisterName(regno: number): GeneralRegisterName | undefined {
  return GENERAL_REGISTERS[regno];
}

/** Size in bytes of a DWARF register on x86-64. */
export function registerSize(regno: number): number {
  if (regno >= DWARF_XMM0 && regno < DWARF_XMM0 + 16) return 16; // xmm0-15
  if (regno >= DWARF_ST0 && regno < DWARF_ST0 + 8) return 10; // st0-7
  return 8;
}
