// x86-64 general registers by DWARF number (System V psABI, Figure 3.36) and conversions between a
// named register record (such as Registers or CoreRegisters) and the unwinder's numbered set.

export const UNWIND_REGISTERS = [
  'rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip',
] as const;

export type UnwindRegisterName = (typeof UNWIND_REGISTERS)[number];

/** The general registers the unwinder needs; `Registers` and `CoreRegisters` both have them. */
export type GeneralRegisters = Readonly<Record<UnwindRegisterName, bigint>>;

/** Registers known in a frame; a register that is missing could not be recovered. */
export type FrameRegisters = Readonly<Partial<Record<UnwindRegisterName, bigint>>>;

export const DWARF_RSP = 7;
export const DWARF_RBP = 6;
/** Column 16: the return address (rip of the caller). */
export const DWARF_RA = 16;

/** Callee-saved registers of the SysV ABI, whose value is the caller's unless a rule says otherwise. */
export const CALLEE_SAVED: ReadonlySet<number> = new Set([3, 6, 12, 13, 14, 15]);

export function dwarfRegisterName(number: number): UnwindRegisterName | undefined {
  return UNWIND_REGISTERS[number];
}

/** A numbered register set from named registers. */
export function toRegisterSet(registers: FrameRegisters): Map<number, bigint> {
  const set = new Map<number, bigint>();
  UNWIND_REGISTERS.forEach((name, number) => {
    const value = registers[name];
    if (value !== undefined) set.set(number, BigInt.asUintN(64, value));
  });
  return set;
}

export function fromRegisterSet(set: ReadonlyMap<number, bigint>): FrameRegisters {
  const named: Partial<Record<UnwindRegisterName, bigint>> = {};
  UNWIND_REGISTERS.forEach((name, number) => {
    const value = set.get(number);
    if (value !== undefined) named[name] = value;
  });
  return named;
}
