// What a Value and the evaluator need from a stopped machine, and nothing VM-specific: the DWARF,
// the frame (DWARF registers, memory, pc, CFA), the variables in scope in lookup order, registers
// by gdb's names, and optional writers (absent for a read-only core). frameScope() builds one from
// an unwound frame so callers do not repeat that.
import type { DebugInfo, FrameContext, Unit, Variable } from '../dwarf';
import { frameContext } from '../postmortem/backtrace';
import type { Memory, PhysicalFrame } from '../unwind';
import { registerNameOfDwarf, type NamedRegisterReader } from './registers';

export interface EvaluationScope {
  readonly info: DebugInfo;
  /** The frame: DWARF register reader, memory reader, pc and CFA (what DWARF locations need). */
  readonly frame: FrameContext;
  /**
   * The variables visible here in lookup order: the innermost block's locals first, out to the
   * function's parameters and locals, then globals and file statics (the frame's unit first).
   */
  readonly variables: readonly Variable[];
  /** The unit of the frame's code: its types, enumerators and functions win name clashes. */
  readonly unit?: Unit;
  /**
   * A register by gdb's name: `rax`…`r15`, `rip`, `eflags`, `cs`…`gs`, `fs_base`, `gs_base`,
   * `mxcsr`, `xmm0`…`xmm15` (128-bit), `st0`…`st7` (80-bit). undefined: not known in this frame.
   */
  readRegister(name: string): bigint | undefined;
  /** Writes target memory; absent (or throwing) when the target is read-only. */
  writeMemory?(address: bigint, bytes: Uint8Array): void;
  /** Writes a register of this frame by DWARF number; absent (or throwing) when it cannot. */
  writeRegister?(dwarfRegNo: number, value: bigint): void;
  /** Why writes are refused when a writer is absent, e.g. "the core file is read-only". */
  readonly readOnlyReason?: string;
}

export interface FrameScopeOptions {
  /** The calling frame (the next one out), for parameters known only by their value at entry (DW_OP_entry_value). */
  readonly caller?: PhysicalFrame;
  /**
   * Registers the unwinder does not recover (eflags, selectors, xmm, ...), for the innermost frame
   * only: e.g. machineRegisterReader(readCoreStatus(core).registers).
   */
  readonly machineRegisters?: NamedRegisterReader;
  readonly writeMemory?: (address: bigint, bytes: Uint8Array) => void;
  /** Register writes reach the innermost frame only (outer frames' registers live in save slots). */
  readonly writeRegister?: (dwarfRegNo: number, value: bigint) => void;
  readonly readOnlyReason?: string;
}

/** The visible variables at `pc` in inline frame `inlineIndex` (0: innermost), then the globals. */
export function variablesInScope(info: DebugInfo, pc: bigint, inlineIndex: number): { variables: Variable[]; unit: Unit | undefined } {
  const scopes = info.scopesAt(pc).filter((scope) => scope.frame === inlineIndex);
  const unit = scopes[0]?.unit;
  const locals = scopes.flatMap((scope) => scope.variables.filter((v) => v.kind !== 'global'));
  // gdb looks in the current file's statics and globals before other files'.
  const globals = info.globals();
  const ordered = [...globals.filter((v) => v.unit === unit), ...globals.filter((v) => v.unit !== unit)];
  return { variables: [...locals, ...ordered], unit };
}

/**
 * The scope of an unwound frame: its registers as recovered (plus `machineRegisters` in the
 * innermost frame), memory through `memory`, variables of inline frame `inlineIndex` at its pc.
 * The frame's registers are a snapshot: rebuild the scope after writing one.
 */
export function frameScope(info: DebugInfo, frame: PhysicalFrame, memory: Memory, inlineIndex = 0, options: FrameScopeOptions = {}): EvaluationScope {
  const { variables, unit } = variablesInScope(info, frame.lookupPc, inlineIndex);
  const innermost = frame.index === 0;
  const unwound = frame.registers as Readonly<Record<string, bigint | undefined>>;
  const writeRegister = options.writeRegister;
  const context = frameContext(frame, memory);
  const machine = innermost ? options.machineRegisters : undefined;
  // DWARF locations in vector or other non-general registers (a float in xmm0) read the machine's.
  const readDwarfRegister = (regno: number): bigint | undefined => {
    const general = context.readRegister(regno);
    if (general !== undefined || !machine) return general;
    const name = registerNameOfDwarf(regno);
    return name === undefined ? undefined : machine(name);
  };
  const caller = options.caller && { returnAddress: options.caller.pc, context: frameContext(options.caller, memory) };
  return {
    info,
    frame: { ...context, readRegister: readDwarfRegister, caller },
    variables,
    unit,
    readRegister: (name) => unwound[name] ?? machine?.(name),
    writeMemory: options.writeMemory,
    writeRegister:
      writeRegister &&
      ((regno, value) => {
        if (!innermost) throw new Error(`registers of frame ${frame.index} cannot be written: only the innermost frame's can`);
        writeRegister(regno, value);
      }),
    readOnlyReason: options.readOnlyReason,
  };
}
