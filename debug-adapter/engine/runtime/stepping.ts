// Source-level stepping on top of instruction steps and temporary breakpoints, the way gdb does it:
//   next      runs to the start of the next line in this frame (calls are run over with a stop at
//             their return address; inlined calls are part of the line);
//   step in   like next, but stops at the first line of a called function that has line
//             information (after its prologue) or of an inlined function entered;
//   step out  runs until this frame returns (an inlined frame: until its code is left).
// Leaving the line into the middle of another line (after a return) keeps stepping to a line's
// start. A user breakpoint, a watchpoint, an exception or a pause met on the way ends the step.
import { hex } from '../../../native/lib/hex';
import type { Execution, Halt } from './execution';
import type { GuestProgram } from './program';

export type LineStep = 'over' | 'in' | 'out';

/** Past this many single steps in one line the stepper switches to breakpoints on every line start. */
const STEP_BUDGET = 2000;

interface Place {
  readonly cfa: bigint | undefined;
  readonly depth: number;
  readonly line: number;
  readonly file: string | undefined;
  /** Where the step began, so a jump back to it (a one-line loop) counts as a new line. */
  readonly start: bigint;
  readonly ranges: readonly { low: bigint; high: bigint }[];
}

const inside = (ranges: Place['ranges'], pc: bigint) => ranges.some((r) => pc >= r.low && pc < r.high);

export class Stepper {
  constructor(
    private readonly program: GuestProgram,
    private readonly exec: Execution,
  ) {}

  /** The canonical frame address of the innermost frame (undefined where the CFI cannot tell). */
  private cfa(): bigint | undefined {
    const { frames } = this.program.unwind(this.exec.call.registers(), this.exec.machine, 2);
    return frames[0]?.cfa;
  }

  private place(pc: bigint): Place {
    const row = this.program.lineAt(pc);
    return {
      cfa: this.cfa(),
      depth: this.program.inlineDepthAt(pc),
      line: row?.line ?? 0,
      file: row?.file,
      start: pc,
      ranges: this.program.functionRangesAt(pc),
    };
  }

  /** One line step; resolves with what stopped it ('stepped' means it ended normally). */
  async step(kind: LineStep): Promise<Halt> {
    try {
      if (kind === 'out') return await this.stepOut();
      return await this.stepLine(kind);
    } finally {
      await this.exec.releaseTemporary();
    }
  }

  private async stepLine(kind: 'over' | 'in'): Promise<Halt> {
    let here = this.place(this.exec.pc);
    for (let steps = 0; ; steps++) {
      const pc = this.exec.pc;
      const instruction = this.program.instructionAt(pc, this.exec.machine);
      const isCall = instruction?.kind === 'call' || instruction?.kind === 'indirect-call';
      let halt: Halt;
      if (isCall && kind === 'over') {
        halt = await this.runTo(pc + BigInt(instruction!.length), this.exec.rsp);
      } else if (steps > STEP_BUDGET && !isCall) {
        halt = await this.runToNextStatement(here);
        steps = 0;
      } else {
        halt = await this.exec.step();
        if (halt.kind === 'stepped') halt = (await this.exec.breakpointsAtPc()) ?? halt;
      }
      if (halt.kind !== 'stepped' && halt.kind !== 'pinned') return halt;

      const now = this.exec.pc;
      if (isCall && kind === 'in') {
        const entered = await this.enterCall(now, pc + BigInt(instruction!.length));
        if (entered) return entered;
        continue; // no line information in the callee: it was run to its return
      }
      if (inside(here.ranges, now)) {
        const depth = this.program.inlineDepthAt(now);
        if (depth > here.depth) {
          if (kind === 'in' && this.atStatementStart(now)) return { kind: 'stepped' };
          continue; // an inlined call is part of this line for `next`
        }
        if (depth < here.depth) here = { ...here, depth };
      } else {
        const cfa = this.cfa();
        if (here.cfa !== undefined && cfa !== undefined && cfa > here.cfa) {
          // Returned to the caller: go on to the start of a line there.
          here = { ...this.place(now), start: -1n };
          if (this.atStatementStart(now)) return { kind: 'stepped' };
          continue;
        }
        if (!this.program.hasLines(now)) {
          const back = await this.runToReturn();
          if (back.kind !== 'stepped' && back.kind !== 'pinned') return back;
          continue;
        }
        // A jump into another function at the same level (a tail call): its lines are new lines.
        here = { ...this.place(now), line: -1 };
      }
      if (this.isNewLine(now, here)) return { kind: 'stepped' };
      const row = this.program.lineAt(now);
      if (row && row.line !== 0 && (row.line !== here.line || row.file !== here.file)) {
        // The middle of another line (not a statement start): that line is now the one to finish.
        here = { ...here, line: row.line, file: row.file, start: -1n };
      }
    }
  }

  private atStatementStart(pc: bigint): boolean {
    const row = this.program.lineAt(pc);
    return row !== undefined && row.line !== 0 && row.address === pc && row.isStmt;
  }

  private isNewLine(pc: bigint, here: Place): boolean {
    if (!this.atStatementStart(pc)) return false;
    const row = this.program.lineAt(pc)!;
    return row.line !== here.line || row.file !== here.file || pc === here.start;
  }

  /**
   * After a call instruction stepped into `callee`: stop after its prologue when it has line
   * information (undefined is returned when it has none and it ran back to `returnAddress`).
   */
  private async enterCall(callee: bigint, returnAddress: bigint): Promise<Halt | undefined> {
    if (!this.program.hasLines(callee)) {
      const back = await this.runTo(returnAddress, this.exec.rsp + 8n);
      return back.kind === 'stepped' || back.kind === 'pinned' ? undefined : back;
    }
    const chain = this.program.info.functionAt(callee);
    const outer = chain[chain.length - 1];
    const entered = outer?.ranges.filter((r) => callee >= r.low && callee < r.high) ?? [];
    const target = outer?.name ? this.program.functionBreaks(outer.name).find((f) => inside(entered, f.address)) : undefined;
    if (!target || target.address === callee) return { kind: 'stepped' };
    const halt = await this.runTo(target.address, undefined);
    return halt.kind === 'pinned' ? { kind: 'stepped' } : halt;
  }

  /**
   * Runs until `address` is reached with rsp at or above `minRsp` (the same frame, not a deeper
   * recursive one). A user stop on the way ends the run.
   */
  private async runTo(address: bigint, minRsp: bigint | undefined): Promise<Halt> {
    await this.exec.pinTemporary(address);
    for (;;) {
      const halt = await this.exec.run();
      if (halt.kind !== 'pinned') return halt;
      if (halt.address === address && (minRsp === undefined || this.exec.rsp >= minRsp)) return halt;
    }
  }

  /** Runs until the innermost physical frame returns; stops in the caller right after the call. */
  private async runToReturn(): Promise<Halt> {
    const { frames } = this.program.unwind(this.exec.call.registers(), this.exec.machine, 2);
    const caller = frames[1];
    if (!caller || frames[0].cfa === undefined) {
      throw new Error(`cannot step out of the code at ${hex(this.exec.pc)}: the caller cannot be found (no unwind information)`);
    }
    return this.runTo(caller.pc, frames[0].cfa);
  }

  /** The slow path for a long line: a stop at every other statement start of the function and at its return. */
  private async runToNextStatement(here: Place): Promise<Halt> {
    const starts = this.program.statementStarts(here.ranges).filter((a) => {
      const row = this.program.lineAt(a);
      return row !== undefined && (row.line !== here.line || row.file !== here.file);
    });
    const { frames } = this.program.unwind(this.exec.call.registers(), this.exec.machine, 2);
    const returnAddress = frames[1]?.pc;
    for (const address of starts) await this.exec.pinTemporary(address);
    if (returnAddress !== undefined) await this.exec.pinTemporary(returnAddress);
    for (;;) {
      const halt = await this.exec.run();
      if (halt.kind !== 'pinned') return halt;
      const cfa = this.cfa();
      // In a deeper recursive instance of this function: not our line.
      if (halt.address !== returnAddress && here.cfa !== undefined && cfa !== undefined && cfa < here.cfa) continue;
      if (halt.address === returnAddress && frames[0].cfa !== undefined && this.exec.rsp < frames[0].cfa) continue;
      await this.exec.releaseTemporary();
      return halt;
    }
  }

  private async stepOut(): Promise<Halt> {
    const start = this.place(this.exec.pc);
    if (start.depth > 0) {
      // An inlined frame has no return: step (over calls) until its code is left.
      for (;;) {
        const halt = await this.stepLineOnce();
        if (halt.kind !== 'stepped' && halt.kind !== 'pinned') return halt;
        const now = this.exec.pc;
        if (!inside(start.ranges, now) || this.program.inlineDepthAt(now) < start.depth) return { kind: 'stepped' };
      }
    }
    const halt = await this.runToReturn();
    return halt.kind === 'pinned' ? { kind: 'stepped' } : halt;
  }

  /** One instruction, running over calls. */
  private async stepLineOnce(): Promise<Halt> {
    const pc = this.exec.pc;
    const instruction = this.program.instructionAt(pc, this.exec.machine);
    if (instruction?.kind === 'call' || instruction?.kind === 'indirect-call') return this.runTo(pc + BigInt(instruction.length), this.exec.rsp);
    const halt = await this.exec.step();
    return halt.kind === 'stepped' ? ((await this.exec.breakpointsAtPc()) ?? halt) : halt;
  }
}
