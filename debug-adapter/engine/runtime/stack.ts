// The call stack of a stop: physical frames from the CFI unwinder, each expanded into the inlined
// frames DWARF describes at its pc (innermost first), with the source position of each.
import type { PhysicalFrame, StopReason } from '../unwind';
import type { StoppedMachine } from './machine';
import type { GuestProgram } from './program';

export interface StackFrame {
  /** Position in the stack, 0 innermost; inlined frames count, as in gdb. */
  readonly level: number;
  readonly name: string;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** The frame's pc: the stop's pc in frame 0, the return address in callers. */
  readonly pc: bigint;
  readonly inlined: boolean;
  readonly physical: PhysicalFrame;
  /** Which inlined instance of the physical frame this is (0: innermost). */
  readonly inlineIndex: number;
}

/** Unwinds lazily: a step that only needs frame 0 never walks the whole stack. */
export class StackView {
  private frames: StackFrame[] = [];
  private physical: PhysicalFrame[] | undefined;
  private reason: StopReason | undefined;

  constructor(
    private readonly program: GuestProgram,
    private readonly machine: StoppedMachine,
    private readonly maxPhysical = 1024,
  ) {}

  /** Frames [start, start + count), and the total when the whole stack is known. */
  range(start: number, count: number): { frames: StackFrame[]; total: number } {
    this.unwindAll();
    return { frames: this.frames.slice(start, start + count), total: this.frames.length };
  }

  frame(level: number): StackFrame | undefined {
    this.unwindAll();
    return this.frames[level];
  }

  /** Why the unwinder stopped (e.g. 'outermost' at the call entry). */
  get stopReason(): StopReason | undefined {
    this.unwindAll();
    return this.reason;
  }

  private unwindAll(): void {
    if (this.physical) return;
    const { frames, stopReason } = this.program.unwind(this.machine.registers, this.machine, this.maxPhysical);
    this.physical = frames;
    this.reason = stopReason;
    for (const frame of frames) this.expand(frame);
  }

  private expand(frame: PhysicalFrame): void {
    const chain = this.program.info.functionAt(frame.lookupPc);
    if (chain.length === 0) {
      const line = this.program.lineAt(frame.lookupPc);
      this.frames.push({
        level: this.frames.length,
        name: this.program.symbols.functionAt(frame.lookupPc)?.name ?? `0x${frame.pc.toString(16)}`,
        file: line?.file,
        line: line?.line || undefined,
        column: line?.column || undefined,
        pc: frame.pc,
        inlined: false,
        physical: frame,
        inlineIndex: 0,
      });
      return;
    }
    chain.forEach((fn, inlineIndex) => {
      this.frames.push({
        level: this.frames.length,
        name: fn.name ?? this.program.symbols.functionAt(frame.lookupPc)?.name ?? '??',
        file: fn.location?.file,
        line: fn.location?.line || undefined,
        column: fn.location?.column || undefined,
        pc: frame.pc,
        inlined: fn.inlined,
        physical: frame,
        inlineIndex,
      });
    });
  }
}
