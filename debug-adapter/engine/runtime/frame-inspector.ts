// Values in a frame of a stop, through the values engine: the Locals and Globals rows, C
// expressions for watch, hover, conditions and logpoints, data breakpoint locations, and the value
// a function returned after a step out (System V: rax/rdx, xmm0/xmm1, or memory at rax).
import { byteSizeOf, printPrefix, stripTypedefs, type CallerFrame, type FrameContext, type TypeInfo } from '../dwarf';
import { frameContext } from '../postmortem/backtrace';
import { DWARF_XMM0 } from '../shared/dwarf-registers';
import { GENERAL_REGISTERS, type Memory, type PhysicalFrame } from '../unwind';
import { computedValue, evaluate, frameScope, machineRegisterReader, variableValue, type EvaluationScope, type Value } from '../values';
import type { StoppedMachine } from './machine';
import type { GuestProgram } from './program';
import type { StackFrame, StackView } from './stack';
import type { VariableNode } from './variable-node';

/** How values may be written: through the stopped machine, or not at all (and why). */
export interface Writers {
  readonly machine?: StoppedMachine;
  readonly readOnlyReason?: string;
}

/** The function a step out leaves: its name and return type. */
export interface ReturnValueSource {
  readonly functionName: string;
  readonly type: TypeInfo | undefined;
}

function bigintBytes(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

/**
 * How a row's value reads: `print` as gdb's `print` shows it (`(int *) 0x4010 <numbers>`: watch,
 * hover, the returned value); `variable` as gdb's `info locals`/`info args` show it, without the
 * pointer type prefix (`0x4010 <numbers>`: the Locals and Globals scopes, whose rows carry the type).
 */
export type ValueStyle = 'print' | 'variable';

function styledText(value: Value, style: ValueStyle): string {
  const text = value.text;
  if (style === 'print') return text;
  const prefix = printPrefix(value.type);
  return prefix !== '' && text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

/** A Value as a variables-view row (its children in the same style). */
export function valueNode(value: Value, name: string = value.name ?? '', style: ValueStyle = 'print'): VariableNode {
  return {
    name,
    value: styledText(value, style),
    type: value.typeName,
    memoryReference: value.memoryReference,
    dataLocation: value.dataLocation,
    evaluateName: value.expression,
    childCount: value.childCount,
    children: (start, count) => value.children(start, count).map((child) => valueNode(child.value, child.name, style)),
    set: (text) => valueNode(value.assign(text), name, style),
  };
}

/** The distinct physical frames of a stack, innermost first. */
function physicalFramesOf(stack: StackView): PhysicalFrame[] {
  const frames: PhysicalFrame[] = [];
  for (let level = 0; ; level++) {
    const frame = stack.frame(level);
    if (!frame) return frames;
    if (frames[frames.length - 1] !== frame.physical) frames.push(frame.physical);
  }
}

/** The caller of physical frame `index`, with its own caller and so on out (built as it is read). */
function callerChain(frames: readonly PhysicalFrame[], index: number, memory: Memory): CallerFrame | undefined {
  const outer = index >= 0 ? frames[index + 1] : undefined;
  if (!outer) return undefined;
  let context: FrameContext | undefined;
  return {
    returnAddress: outer.pc,
    get context(): FrameContext {
      return (context ??= { ...frameContext(outer, memory), caller: callerChain(frames, index + 1, memory) });
    },
  };
}

export class FrameInspector {
  constructor(private readonly program: GuestProgram) {}

  /** The evaluation scope of frame `level` of a stop. */
  scope(stack: StackView, machine: StoppedMachine, level: number, writers: Writers): EvaluationScope {
    const frame = stack.frame(level);
    if (!frame) throw new Error(`there is no frame ${level}`);
    const target = writers.machine;
    const scope = frameScope(this.program.info, frame.physical, machine, frame.inlineIndex, {
      machineRegisters: machineRegisterReader(machine.registers),
      writeMemory: target ? (address, bytes) => target.writeMemory(address, bytes) : undefined,
      writeRegister: target
        ? (regno, value) => {
            if (regno >= DWARF_XMM0 && regno < DWARF_XMM0 + 16) {
              const xmm: (Uint8Array | undefined)[] = [];
              xmm[regno - DWARF_XMM0] = bigintBytes(value, 16);
              target.writeRegisters({ fpu: { xmm } });
              return;
            }
            const name = GENERAL_REGISTERS[regno];
            if (!name) throw new Error(`DWARF register ${regno} cannot be written`);
            target.writeRegisters({ [name]: BigInt.asUintN(64, value) });
          }
        : undefined,
      readOnlyReason: writers.readOnlyReason,
    });
    // Parameters known only by their value at entry (DW_OP_entry_value) are recovered from the
    // caller's call site, whose value may itself be an entry value of the caller's caller (gcc -O2
    // passes `depth + 1` down a chain): the frame gets every frame out, as gdb resolves them.
    const physical = physicalFramesOf(stack);
    const caller = callerChain(physical, physical.indexOf(frame.physical), machine);
    return caller ? { ...scope, frame: { ...scope.frame, caller } } : scope;
  }

  /**
   * Parameters, then locals of the frame (innermost block first), as gdb's `info args` followed by
   * `info locals`, with their text as those commands print it.
   */
  locals(stack: StackView, machine: StoppedMachine, level: number, writers: Writers): VariableNode[] {
    const frame = stack.frame(level)!;
    const scope = this.scope(stack, machine, level, writers);
    const variables = this.program.info
      .scopesAt(frame.physical.lookupPc)
      .filter((s) => s.frame === frame.inlineIndex)
      .flatMap((s) => s.variables.filter((v) => v.kind !== 'global'));
    return [...variables.filter((v) => v.kind === 'parameter'), ...variables.filter((v) => v.kind !== 'parameter')]
      .map((variable) => valueNode(variableValue(scope, variable), variable.name ?? '?', 'variable'));
  }

  /** Globals and file statics of the frame's compilation unit. */
  globals(stack: StackView, machine: StoppedMachine, level: number, writers: Writers): VariableNode[] {
    const scope = this.scope(stack, machine, level, writers);
    const unit = scope.unit;
    return this.program.info
      .globals()
      .filter((v) => unit === undefined || v.unit === unit)
      .map((variable) => valueNode(variableValue(scope, variable), variable.name ?? '?', 'variable'));
  }

  evaluate(stack: StackView, machine: StoppedMachine, level: number, expression: string, writers: Writers): VariableNode {
    return valueNode(evaluate(expression, this.scope(stack, machine, level, writers)), expression.trim());
  }

  /** A breakpoint condition: true when the expression is non-zero (C truth). */
  isTrue(stack: StackView, machine: StoppedMachine, condition: string, writers: Writers): boolean {
    const value = evaluate(condition, this.scope(stack, machine, 0, writers));
    const object = value.object();
    if (object.known.some((b) => b !== 0xff)) throw new Error(`the value of ${condition} is not known (optimized out)`);
    return object.bytes.some((b) => b !== 0);
  }

  /** One `{expression}` of a log message: its value's text, or the error in angle brackets. */
  logText(stack: StackView, machine: StoppedMachine, expression: string, writers: Writers): string {
    try {
      return evaluate(expression, this.scope(stack, machine, 0, writers)).text;
    } catch (error) {
      return `<${(error as Error).message}>`;
    }
  }

  /** The memory an expression names, for a data breakpoint (`asAddress`: the expression is an address). */
  /**
   * The memory an expression names, for a data breakpoint: an lvalue's own bytes (`total`,
   * `p->count`); or, for an address (`asAddress`, or a pointer that is not itself in memory, such
   * as `&total`), `bytes` bytes there (by default the size of what the pointer points to).
   */
  dataLocation(stack: StackView, machine: StoppedMachine, level: number, expression: string, asAddress: boolean, bytes: number | undefined, writers: Writers): { address: bigint; size: number } | undefined {
    const value = evaluate(expression, this.scope(stack, machine, level, writers));
    const pointer = stripTypedefs(value.type ?? { kind: 'void' }).kind === 'pointer';
    if (!asAddress && (value.dataLocation || !pointer)) return value.dataLocation;
    const object = value.object();
    let address = 0n;
    for (let i = Math.min(8, object.bytes.length) - 1; i >= 0; i--) address = (address << 8n) | BigInt(object.bytes[i]);
    const type = stripTypedefs(value.type ?? { kind: 'void' });
    const pointee = type.kind === 'pointer' ? byteSizeOf(type.target) : 0;
    return { address, size: bytes ?? (pointee || 1) };
  }

  /** What a step out of frame 0 will return from (nothing for an inlined frame). */
  returnSource(frame: StackFrame | undefined): ReturnValueSource | undefined {
    if (!frame || frame.inlined) return undefined;
    const chain = this.program.info.functionAt(frame.physical.lookupPc);
    const fn = chain[chain.length - 1];
    if (!fn) return undefined;
    return { functionName: fn.name ?? frame.name, type: this.program.info.types.typeOf(fn.unit, fn.die) };
  }

  /** The value just returned, read from the registers the System V ABI returns it in. */
  returnValue(source: ReturnValueSource, stack: StackView, machine: StoppedMachine): VariableNode | undefined {
    const type = source.type;
    if (!type || stripTypedefs(type).kind === 'void') return undefined;
    const size = byteSizeOf(type);
    const registers = machine.registers;
    const name = `${source.functionName} returned`;
    const scope = this.scope(stack, machine, 0, { readOnlyReason: 'a returned value is not stored anywhere' });
    const core = stripTypedefs(type);
    const floating = core.kind === 'base' && core.encoding === 0x04;
    const xmm = registers.fpu?.xmm;
    let bytes: Uint8Array | undefined;
    if (floating && xmm && size <= 8) bytes = xmm[0].slice(0, size);
    else if (size <= 8) bytes = bigintBytes(registers.rax, size);
    else if (size <= 16) {
      const allFloat = (core.kind === 'struct' || core.kind === 'union') && core.members.every((m) => {
        const t = m.type ? stripTypedefs(m.type) : undefined;
        return t?.kind === 'base' && t.encoding === 0x04;
      });
      bytes = allFloat && xmm
        ? Uint8Array.from([...xmm[0].slice(0, 8), ...xmm[1].slice(0, size - 8)])
        : Uint8Array.from([...bigintBytes(registers.rax, 8), ...bigintBytes(registers.rdx, size - 8)]);
    } else {
      bytes = machine.read(registers.rax, size); // returned in memory; rax holds its address
    }
    if (!bytes) return undefined;
    return valueNode(computedValue(scope, type, bytes).named(name, ''), name);
  }
}
