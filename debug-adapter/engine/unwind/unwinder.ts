// unwind(): physical frames from a register set, target memory and the loaded modules' CFI,
// innermost first. Each step finds the caller's registers from the CFI row at the frame's pc (the
// return address minus one in callers, since a call may be a function's last instruction), or from
// the rbp chain when no FDE covers the pc.
import { CfaRule, RegisterRule, UnwindRow } from './rules';
import { ExpressionContext, ExpressionEvaluator, evaluateExpression } from './expression';
import { framePointerStep } from './frame-pointer';
import { Memory, readU64, readUnsigned } from './memory';
import { CfiMatch, CfiModule } from './module';
import { DWARF_RA, DWARF_RSP, FrameRegisters, fromRegisterSet, toRegisterSet } from './registers';

export type UnwindMethod = 'first' | 'cfi' | 'frame-pointer';

export interface PhysicalFrame {
  /** 0 for the innermost frame. */
  readonly index: number;
  readonly pc: bigint;
  /**
   * The address to look the frame up by (symbols, lines, inline scopes, CFI): pc in the innermost
   * frame and in the caller of a signal frame, pc − 1 elsewhere (the call instruction, not the one after).
   */
  readonly lookupPc: bigint;
  /** Canonical frame address: rsp just before the call into this frame. Undefined when it could not be computed. */
  readonly cfa?: bigint;
  /** The registers as recovered for this frame; a register that could not be recovered is missing. */
  readonly registers: FrameRegisters;
  /** How this frame's registers were obtained: 'first' for the given ones, else the method used on the frame inside it. */
  readonly unwoundBy: UnwindMethod;
  /** The module containing lookupPc, if any. */
  readonly module?: CfiModule;
  /** The CFI that describes this frame, when there is one. */
  readonly cfi?: CfiMatch;
}

export type StopReason =
  /** The return address is undefined (DW_CFA_undefined rip): the outermost frame, e.g. an entry point. */
  | 'outermost'
  /** The next return address is 0. */
  | 'pc-zero'
  /** A caller's CFA is not above its callee's: a corrupt stack or a loop. */
  | 'non-increasing-cfa'
  | 'max-frames'
  /** No CFI covers the pc and the frame-pointer chain could not be followed. */
  | 'no-unwind-info'
  /** A saved register or the CFA could not be read or computed. */
  | 'unreadable'
  /** The CFI is malformed or uses something unsupported (see `error`). */
  | 'cfi-error';

export interface UnwindResult {
  readonly frames: PhysicalFrame[];
  readonly stopReason: StopReason;
  /** Details for 'unreadable' and 'cfi-error'. */
  readonly error?: string;
}

export interface UnwindOptions {
  /** At most this many frames (default 256). */
  readonly maxFrames?: number;
  /** Evaluator for DWARF expressions in CFA and register rules (default: the built-in one). */
  readonly evaluator?: ExpressionEvaluator;
  /** Use the rbp chain where no FDE covers a pc (default true). */
  readonly framePointerFallback?: boolean;
}

class UnwindStop extends Error {
  constructor(readonly reason: StopReason, message: string) {
    super(message);
  }
}

function context(registers: ReadonlyMap<number, bigint>, memory: Memory, cfa?: bigint): ExpressionContext {
  return { register: (n) => registers.get(n), readMemory: (address, size) => readUnsigned(memory, address, size), cfa };
}

function computeCfa(rule: CfaRule, registers: ReadonlyMap<number, bigint>, memory: Memory, evaluator: ExpressionEvaluator): bigint {
  if (rule.kind === 'expression') return evaluator(rule.expression, context(registers, memory), []);
  const base = registers.get(rule.register);
  if (base === undefined) throw new UnwindStop('unreadable', `the CFA register ${rule.register} is not known`);
  return BigInt.asUintN(64, base + rule.offset);
}

function mustRead(memory: Memory, address: bigint, what: string): bigint {
  const value = readU64(memory, address);
  if (value === undefined) throw new UnwindStop('unreadable', `cannot read ${what} at 0x${address.toString(16)}`);
  return value;
}

/** The caller's value of one register under `rule`, or undefined when it is undefined. */
function applyRule(
  rule: RegisterRule, number: number, cfa: bigint, registers: ReadonlyMap<number, bigint>, memory: Memory, evaluator: ExpressionEvaluator,
): bigint | undefined {
  const what = `the saved register ${number}`;
  switch (rule.kind) {
    case 'undefined': return undefined;
    case 'same-value': return registers.get(number);
    case 'offset': return mustRead(memory, BigInt.asUintN(64, cfa + rule.offset), what);
    case 'val-offset': return BigInt.asUintN(64, cfa + rule.offset);
    case 'register': return registers.get(rule.register);
    case 'expression': return mustRead(memory, evaluator(rule.expression, context(registers, memory, cfa), [cfa]), what);
    case 'val-expression': return evaluator(rule.expression, context(registers, memory, cfa), [cfa]);
  }
}

/** Registers 0–16 of the caller; returns undefined for the return address when the frame is outermost. */
function callerRegisters(
  row: UnwindRow, returnColumn: number, cfa: bigint, registers: ReadonlyMap<number, bigint>, memory: Memory, evaluator: ExpressionEvaluator,
): Map<number, bigint> {
  const caller = new Map<number, bigint>();
  for (let number = 0; number < DWARF_RA; number++) {
    const rule = row.registers.get(number);
    // No rule: the value is unchanged (what gdb assumes), except rsp, which is the CFA by definition.
    const value = rule ? applyRule(rule, number, cfa, registers, memory, evaluator) : number === DWARF_RSP ? cfa : registers.get(number);
    if (value !== undefined) caller.set(number, value);
  }
  const raRule = row.registers.get(returnColumn);
  if (raRule) {
    const ra = applyRule(raRule, returnColumn, cfa, registers, memory, evaluator);
    if (ra !== undefined) caller.set(DWARF_RA, ra);
  }
  return caller;
}

function findCfi(modules: readonly CfiModule[], pc: bigint): { module?: CfiModule; cfi?: CfiMatch } {
  const module = modules.find((m) => m.contains(pc));
  return { module, cfi: module?.find(pc) };
}

/**
 * Unwinds the stack described by `registers` (at least rip and rsp; `Registers` and `CoreRegisters`
 * fit) through `memory`, using the CFI of `modules` (runtime addresses: give each module its load bias).
 */
export function unwind(registers: FrameRegisters, memory: Memory, modules: readonly CfiModule[], options: UnwindOptions = {}): UnwindResult {
  const maxFrames = options.maxFrames ?? 256;
  const evaluator = options.evaluator ?? evaluateExpression;
  const fallback = options.framePointerFallback ?? true;
  const frames: PhysicalFrame[] = [];
  let current = toRegisterSet(registers);
  let method: UnwindMethod = 'first';
  let exactPc = true;
  let previousCfa: bigint | undefined;

  for (;;) {
    const pc = current.get(DWARF_RA);
    if (pc === undefined) return { frames, stopReason: 'unreadable', error: 'the pc is not known' };
    if (pc === 0n && frames.length > 0) return { frames, stopReason: 'pc-zero' };
    if (frames.length >= maxFrames) return { frames, stopReason: 'max-frames' };
    const lookupPc = exactPc ? pc : pc - 1n;
    const { module, cfi } = findCfi(modules, lookupPc);
    let cfa: bigint | undefined;
    try {
      if (cfi) {
        cfa = computeCfa(cfi.row.cfa, current, memory, evaluator);
        if (previousCfa !== undefined && cfa <= previousCfa) return { frames, stopReason: 'non-increasing-cfa' };
        const frame: PhysicalFrame = { index: frames.length, pc, lookupPc, cfa, registers: fromRegisterSet(current), unwoundBy: method, module, cfi };
        frames.push(frame);
        const returnColumn = cfi.fde.cie.returnAddressRegister;
        const raRule = cfi.row.registers.get(returnColumn);
        if (!raRule || raRule.kind === 'undefined') return { frames, stopReason: 'outermost' };
        current = callerRegisters(cfi.row, returnColumn, cfa, current, memory, evaluator);
        if (!current.has(DWARF_RA)) return { frames, stopReason: 'outermost' };
        method = 'cfi';
        exactPc = cfi.fde.cie.signalFrame;
      } else {
        const step = fallback ? framePointerStep(current, memory, frames.length === 0) : undefined;
        cfa = step?.cfa;
        if (cfa !== undefined && previousCfa !== undefined && cfa <= previousCfa) return { frames, stopReason: 'non-increasing-cfa' };
        frames.push({ index: frames.length, pc, lookupPc, cfa, registers: fromRegisterSet(current), unwoundBy: method, module });
        if (!step) return { frames, stopReason: 'no-unwind-info' };
        current = step.caller;
        method = 'frame-pointer';
        exactPc = false;
      }
      previousCfa = cfa;
    } catch (error) {
      const reason = error instanceof UnwindStop ? error.reason : 'cfi-error';
      if (frames.length === 0 || frames[frames.length - 1].pc !== pc) {
        frames.push({ index: frames.length, pc, lookupPc, cfa, registers: fromRegisterSet(current), unwoundBy: method, module, cfi });
      }
      return { frames, stopReason: reason, error: (error as Error).message };
    }
  }
}
