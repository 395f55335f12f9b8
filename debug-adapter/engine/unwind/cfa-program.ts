// Runs the DW_CFA_* instructions of a CIE and an FDE to build the unwind table rows (DWARF 5 §6.4.2).
import * as C from './constants';
import { CommonInformationEntry, FrameDescriptionEntry } from './entries';
import { CfiFormatError } from './errors';
import { PointerBases, readEncodedPointer } from './pointer-encoding';
import { cfiReader } from './reader';
import { CfaRule, RegisterRule, UnwindRow } from './rules';

interface State {
  cfa: CfaRule;
  registers: Map<number, RegisterRule>;
  argsSize: bigint;
}

const UNDEFINED_CFA: CfaRule = { kind: 'register-offset', register: -1, offset: 0n };

function cloneState(state: State): State {
  return { cfa: state.cfa, registers: new Map(state.registers), argsSize: state.argsSize };
}

class Interpreter {
  loc: bigint;
  state: State;
  private readonly stack: State[] = [];

  constructor(
    private readonly cie: CommonInformationEntry,
    private readonly initial: State | undefined,
    start: bigint,
    state: State,
    private readonly bases: PointerBases,
  ) {
    this.loc = start;
    this.state = state;
  }

  /**
   * Executes `bytes`; `onAdvance(from, to)` is called before every location change with the row
   * that held until then. Returns false when `onAdvance` asked to stop.
   */
  run(bytes: Uint8Array, bytesOffset: number, what: string, onAdvance: (from: bigint, to: bigint) => boolean): boolean {
    const r = cfiReader(bytes, what);
    const cie = this.cie;
    const factored = (value: bigint) => value * cie.dataAlignment;
    while (!r.atEnd()) {
      const op = r.u8('opcode');
      const high = op & 0xc0;
      const low = op & 0x3f;
      if (high === C.DW_CFA_advance_loc) {
        if (!this.advanceTo(this.loc + BigInt(low) * cie.codeAlignment, onAdvance)) return false;
        continue;
      }
      if (high === C.DW_CFA_offset) {
        this.set(low, { kind: 'offset', offset: factored(r.uleb()) });
        continue;
      }
      if (high === C.DW_CFA_restore) {
        this.restore(low);
        continue;
      }
      switch (op) {
        case C.DW_CFA_nop:
          break;
        case C.DW_CFA_set_loc: {
          const fieldBases = { ...this.bases, sectionAddress: this.bases.sectionAddress + BigInt(bytesOffset) };
          const target = readEncodedPointer(r, cie.fdeEncoding, fieldBases, 'DW_CFA_set_loc');
          if (!this.advanceTo(target, onAdvance)) return false;
          break;
        }
        case C.DW_CFA_advance_loc1:
          if (!this.advanceTo(this.loc + BigInt(r.u8()) * cie.codeAlignment, onAdvance)) return false;
          break;
        case C.DW_CFA_advance_loc2:
          if (!this.advanceTo(this.loc + BigInt(r.u16()) * cie.codeAlignment, onAdvance)) return false;
          break;
        case C.DW_CFA_advance_loc4:
          if (!this.advanceTo(this.loc + BigInt(r.u32()) * cie.codeAlignment, onAdvance)) return false;
          break;
        case C.DW_CFA_MIPS_advance_loc8:
          if (!this.advanceTo(this.loc + r.u64() * cie.codeAlignment, onAdvance)) return false;
          break;
        case C.DW_CFA_offset_extended: {
          const register = r.ulebNumber();
          this.set(register, { kind: 'offset', offset: factored(r.uleb()) });
          break;
        }
        case C.DW_CFA_offset_extended_sf: {
          const register = r.ulebNumber();
          this.set(register, { kind: 'offset', offset: factored(r.sleb()) });
          break;
        }
        case C.DW_CFA_GNU_negative_offset_extended: {
          const register = r.ulebNumber();
          this.set(register, { kind: 'offset', offset: -factored(r.uleb()) });
          break;
        }
        case C.DW_CFA_restore_extended:
          this.restore(r.ulebNumber());
          break;
        case C.DW_CFA_undefined:
          this.set(r.ulebNumber(), { kind: 'undefined' });
          break;
        case C.DW_CFA_same_value:
          this.set(r.ulebNumber(), { kind: 'same-value' });
          break;
        case C.DW_CFA_register: {
          const register = r.ulebNumber();
          this.set(register, { kind: 'register', register: r.ulebNumber() });
          break;
        }
        case C.DW_CFA_remember_state:
          this.stack.push(cloneState(this.state));
          break;
        case C.DW_CFA_restore_state: {
          const saved = this.stack.pop();
          if (!saved) throw new CfiFormatError(`${what}: DW_CFA_restore_state without DW_CFA_remember_state`);
          // The saved state includes the CFA rule (DWARF 5 §6.4.2.4) but not the args size.
          this.state = { ...saved, argsSize: this.state.argsSize };
          break;
        }
        case C.DW_CFA_def_cfa: {
          const register = r.ulebNumber();
          this.state.cfa = { kind: 'register-offset', register, offset: r.uleb() };
          break;
        }
        case C.DW_CFA_def_cfa_sf: {
          const register = r.ulebNumber();
          this.state.cfa = { kind: 'register-offset', register, offset: factored(r.sleb()) };
          break;
        }
        case C.DW_CFA_def_cfa_register: {
          const register = r.ulebNumber();
          const offset = this.state.cfa.kind === 'register-offset' ? this.state.cfa.offset : 0n;
          this.state.cfa = { kind: 'register-offset', register, offset };
          break;
        }
        case C.DW_CFA_def_cfa_offset:
          this.setCfaOffset(r.uleb(), what);
          break;
        case C.DW_CFA_def_cfa_offset_sf:
          this.setCfaOffset(factored(r.sleb()), what);
          break;
        case C.DW_CFA_def_cfa_expression:
          this.state.cfa = { kind: 'expression', expression: r.bytesOf(r.ulebNumber(), 'expression') };
          break;
        case C.DW_CFA_expression: {
          const register = r.ulebNumber();
          this.set(register, { kind: 'expression', expression: r.bytesOf(r.ulebNumber(), 'expression') });
          break;
        }
        case C.DW_CFA_val_expression: {
          const register = r.ulebNumber();
          this.set(register, { kind: 'val-expression', expression: r.bytesOf(r.ulebNumber(), 'expression') });
          break;
        }
        case C.DW_CFA_val_offset: {
          const register = r.ulebNumber();
          this.set(register, { kind: 'val-offset', offset: factored(r.uleb()) });
          break;
        }
        case C.DW_CFA_val_offset_sf: {
          const register = r.ulebNumber();
          this.set(register, { kind: 'val-offset', offset: factored(r.sleb()) });
          break;
        }
        case C.DW_CFA_GNU_args_size:
          this.state.argsSize = r.uleb();
          break;
        case C.DW_CFA_GNU_window_save:
          break; // SPARC/AArch64 only; nothing to do on x86-64
        default:
          throw new CfiFormatError(`${what}: unknown DW_CFA opcode 0x${op.toString(16)} at offset 0x${(r.pos - 1).toString(16)}`);
      }
    }
    return true;
  }

  private advanceTo(target: bigint, onAdvance: (from: bigint, to: bigint) => boolean): boolean {
    const from = this.loc;
    this.loc = target;
    return onAdvance(from, target);
  }

  private set(register: number, rule: RegisterRule): void {
    this.state.registers.set(register, rule);
  }

  private setCfaOffset(offset: bigint, what: string): void {
    if (this.state.cfa.kind !== 'register-offset') throw new CfiFormatError(`${what}: DW_CFA_def_cfa_offset while the CFA is an expression`);
    this.state.cfa = { ...this.state.cfa, offset };
  }

  private restore(register: number): void {
    const rule = this.initial?.registers.get(register);
    if (rule) this.state.registers.set(register, rule);
    else this.state.registers.delete(register);
  }
}

function snapshot(state: State, start: bigint, end: bigint): UnwindRow {
  return { start, end, cfa: state.cfa, registers: new Map(state.registers), argsSize: state.argsSize };
}

/** Pointer bases for DW_CFA_set_loc inside the FDE: its section's, with the FDE start as funcrel. */
function initialState(cie: CommonInformationEntry, bases: PointerBases): State {
  const state: State = { cfa: UNDEFINED_CFA, registers: new Map(), argsSize: 0n };
  const interpreter = new Interpreter(cie, undefined, 0n, state, bases);
  interpreter.run(cie.initialInstructions, cie.instructionsOffset, `CIE at 0x${cie.offset.toString(16)}`, () => true);
  return interpreter.state;
}

/**
 * Every row of the FDE's table, in address order (rows with an empty range are dropped).
 * `bases` are the pointer bases of the FDE's section.
 */
export function unwindRows(fde: FrameDescriptionEntry, bases: PointerBases): UnwindRow[] {
  const rows: UnwindRow[] = [];
  const initial = initialState(fde.cie, bases);
  const interpreter = new Interpreter(fde.cie, initial, fde.pcBegin, cloneState(initial), { ...bases, func: fde.pcBegin });
  interpreter.run(fde.instructions, fde.instructionsOffset, `FDE at 0x${fde.offset.toString(16)}`, (from, to) => {
    if (to > from) rows.push(snapshot(interpreter.state, from, to < fde.pcEnd ? to : fde.pcEnd));
    return true;
  });
  if (interpreter.loc < fde.pcEnd) rows.push(snapshot(interpreter.state, interpreter.loc, fde.pcEnd));
  return rows;
}

/** The row in effect at `pc` (pcBegin ≤ pc < pcEnd), without building the others. */
export function unwindRowAt(fde: FrameDescriptionEntry, pc: bigint, bases: PointerBases): UnwindRow | undefined {
  if (pc < fde.pcBegin || pc >= fde.pcEnd) return undefined;
  const initial = initialState(fde.cie, bases);
  const interpreter = new Interpreter(fde.cie, initial, fde.pcBegin, cloneState(initial), { ...bases, func: fde.pcBegin });
  let found: UnwindRow | undefined;
  interpreter.run(fde.instructions, fde.instructionsOffset, `FDE at 0x${fde.offset.toString(16)}`, (from, to) => {
    if (pc >= from && pc < to) {
      found = snapshot(interpreter.state, from, to);
      return false;
    }
    return true;
  });
  return found ?? snapshot(interpreter.state, interpreter.loc, fde.pcEnd);
}
