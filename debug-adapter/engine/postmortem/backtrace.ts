// A source-level backtrace from a machine state: physical frames from the CFI unwinder, each
// expanded into its inlined frames with function, file:line and arguments from DWARF. Works on a
// core file or a live VM alike (both give registers and a memory reader).
import { SymbolTable } from '../../../native/lib/elf';
import { DebugInfo, type FrameContext, type FunctionFrame, type Variable } from '../dwarf';
import { CfiModule, unwind, type Memory, type FrameRegisters, type PhysicalFrame, type StopReason } from '../unwind';
import { generalRegisterName } from '../unwind/registers';

export interface FrameArgument {
  readonly name: string;
  /** As gdb's `bt` prints it: scalars and pointers in full, aggregates as `...`. */
  readonly text: string;
}

export interface SourceFrame {
  /** Frame number as gdb counts them: inlined frames count too. */
  readonly level: number;
  readonly pc: bigint;
  readonly function: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly inlined: boolean;
  readonly arguments: readonly FrameArgument[];
  /** Whether gdb would print the address: every frame but an innermost one at a line's first instruction. */
  readonly showAddress: boolean;
}

export interface Backtrace {
  readonly frames: readonly SourceFrame[];
  readonly stopReason: StopReason;
  /** Frames past the limit: counted as gdb counts them (inlined frames too) but not described. */
  readonly omittedFrames: number;
}

/** How many frames a backtrace describes unless asked for more. */
export const DEFAULT_BACKTRACE_FRAMES = 64;

// Physical frames unwound at most, to count those not shown; the CFA rises with every frame, so a
// real stack ends long before.
const UNWIND_LIMIT = 1_000_000;

const AGGREGATE_TAGS = new Set(['struct', 'union', 'class', 'array']);

function isAggregate(variable: Variable): boolean {
  let type = variable.type;
  // Look through typedefs and qualifiers to the underlying kind.
  for (let depth = 0; type && depth < 16; depth++) {
    if (AGGREGATE_TAGS.has(type.kind)) return true;
    if (type.kind === 'typedef' || type.kind === 'qualified') type = type.target;
    else break;
  }
  return false;
}

/** What DWARF location expressions need to evaluate in a physical frame. */
export function frameContext(frame: PhysicalFrame, memory: Memory): FrameContext {
  return {
    pc: frame.lookupPc,
    cfa: frame.cfa,
    readRegister: (number: number) => {
      const name = generalRegisterName(number);
      return name ? frame.registers[name] : undefined;
    },
    readMemory: (address: bigint, length: number) => memory.read(address, length),
  };
}

function frameArguments(info: DebugInfo, frame: PhysicalFrame, inlineIndex: number, memory: Memory): FrameArgument[] {
  const scopes = info.scopesAt(frame.lookupPc).filter((scope) => scope.frame === inlineIndex && scope.kind !== 'block');
  const parameters = scopes.flatMap((scope) => scope.variables.filter((v) => v.kind === 'parameter'));
  return parameters.map((parameter) => {
    if (isAggregate(parameter)) return { name: parameter.name ?? '?', text: '...' };
    return { name: parameter.name ?? '?', text: info.variableValue(parameter, frameContext(frame, memory)).text };
  });
}

/**
 * Unwinds `registers` through `memory` with the CFI of `elf`'s image, describes the innermost
 * `maxFrames` frames (as gdb counts them: inlined frames too; Infinity for all) and counts the rest.
 */
export function sourceBacktrace(info: DebugInfo, registers: FrameRegisters, memory: Memory, maxFrames = DEFAULT_BACKTRACE_FRAMES): Backtrace {
  const module = new CfiModule(info.elf, { name: 'guest', loadBias: info.loadBias });
  const symbols = new SymbolTable(info.elf.allSymbols(), info.loadBias);
  const { frames, stopReason } = unwind(registers, memory, [module], { maxFrames: UNWIND_LIMIT });
  const result: SourceFrame[] = [];
  let omittedFrames = 0;
  for (const frame of frames) {
    const chain: FunctionFrame[] = info.functionAt(frame.lookupPc);
    // Past the limit, frames are only counted (a physical frame's inlined frames may be cut too).
    const levels = Math.max(chain.length, 1);
    const shown = Math.min(levels, Math.max(0, maxFrames - result.length));
    omittedFrames += levels - shown;
    if (shown === 0) continue;
    if (chain.length === 0) {
      // No DWARF function (assembly, or no debug info): like gdb, fall back to the ELF symbol
      // for the name and to the line table for the position.
      const line = info.lineForAddress(frame.lookupPc);
      result.push({
        level: result.length,
        pc: frame.pc,
        function: symbols.functionAt(frame.lookupPc)?.name,
        file: line?.file,
        line: line?.line,
        inlined: false,
        arguments: [],
        showAddress: true,
      });
      continue;
    }
    chain.forEach((fn, inlineIndex) => {
      if (result.length >= maxFrames) return;
      const row = frame.index === 0 && inlineIndex === 0 ? info.lineForAddress(frame.pc) : undefined;
      // gdb omits the address only at the first instruction of a statement (an is_stmt row).
      const atLineStart = row !== undefined && row.address === frame.pc && row.isStmt;
      result.push({
        level: result.length,
        pc: frame.pc,
        function: fn.name,
        file: fn.location?.file,
        line: fn.location?.line,
        inlined: fn.inlined,
        arguments: frameArguments(info, frame, inlineIndex, memory),
        // gdb prints no address for an inlined frame's caller (every frame of the chain but the
        // innermost: frame_show_address) and for a pc at a line's start.
        showAddress: !atLineStart && inlineIndex === 0,
      });
    });
  }
  return { frames: result, stopReason, omittedFrames };
}

/** One line per frame, the way gdb's `bt` prints them. */
export function formatBacktrace(backtrace: Backtrace): string {
  return backtrace.frames
    .map((frame) => {
      const address = frame.showAddress ? `0x${frame.pc.toString(16).padStart(16, '0')} in ` : '';
      const args = frame.arguments.map((arg) => `${arg.name}=${arg.text}`).join(', ');
      const where = frame.file !== undefined && frame.line !== undefined ? ` at ${frame.file}:${frame.line}` : '';
      return `#${String(frame.level).padEnd(2)} ${address}${frame.function ?? '??'} (${args})${where}`;
    })
    .join('\n');
}

export interface FrameVariable {
  readonly name: string;
  readonly kind: 'parameter' | 'local';
  /** The full value as gdb's `print` / `info locals` shows it. */
  readonly text: string;
}

/**
 * The parameters and locals visible in a physical frame (its innermost inlined instance unless
 * `inlineIndex` says otherwise), innermost block first, in declaration order, as gdb's
 * `info args` / `info locals` list them.
 */
export function frameVariables(info: DebugInfo, frame: PhysicalFrame, memory: Memory, inlineIndex = 0): FrameVariable[] {
  const scopes = info.scopesAt(frame.lookupPc).filter((scope) => scope.frame === inlineIndex);
  const context = frameContext(frame, memory);
  return scopes.flatMap((scope) =>
    scope.variables
      .filter((v): v is Variable & { kind: 'parameter' | 'local' } => v.kind !== 'global')
      .map((variable) => ({ name: variable.name ?? '?', kind: variable.kind, text: info.variableValue(variable, context).text })),
  );
}

/** Physical frames of a machine state, for callers that want variables per frame. */
export function physicalFrames(info: DebugInfo, registers: FrameRegisters, memory: Memory, maxFrames = 64): readonly PhysicalFrame[] {
  const module = new CfiModule(info.elf, { name: 'guest', loadBias: info.loadBias });
  return unwind(registers, memory, [module], { maxFrames }).frames;
}
