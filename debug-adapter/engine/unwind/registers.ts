// The unwinder's registers: the general registers of the engine's DWARF register table
// (shared/dwarf-registers.ts), and conversions between a named register record (such as Registers
// or CoreRegisters) and the unwinder's numbered set.
import { GENERAL_REGISTERS, type GeneralRegisterName } from '../shared/dwarf-registers';

export { DWARF_RA, DWARF_RBP, DWARF_RSP, GENERAL_REGISTERS, generalRegisterName } from '../shared/dwarf-registers';
export type { GeneralRegisterName } from '../shared/dwarf-registers';

/** The general registers the unwinder needs; `Registers` and `CoreRegisters` both have them. */
export type GeneralRegisters = Readonly<Record<GeneralRegisterName, bigint>>;

/** Registers known in a frame; a register that is missing could not be recovered. */
export type FrameRegisters = Readonly<Partial<Record<GeneralRegisterName, bigint>>>;

/** Callee-saved registers of the SysV ABI, whose value is the caller's unless a rule says otherwise. */
export const CALLEE_SAVED: ReadonlySet<number> = new Set([3, 6, 12, 13, 14, 15]);

/** A numbered register set from named registers. */
export function toRegisterSet(registers: FrameRegisters): Map<number, bigint> {
  const set = new Map<number, bigint>();
  GENERAL_REGISTERS.forEach((name, number) => {
    const value = registers[name];
    if (value !== undefined) set.set(number, BigInt.asUintN(64, value));
  });
  return set;
}

export function fromRegisterSet(set: ReadonlyMap<number, bigint>): FrameRegisters {
  const named: Partial<Record<GeneralRegisterName, bigint>> = {};
  GENERAL_REGISTERS.forEach((name, number) => {
    const value = set.get(number);
    if (value !== undefined) named[name] = value;
  });
  return named;
}
