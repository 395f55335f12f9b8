// Turns the user's breakpoint requests into UserBreakpoints: each resolved against the program
// (a source line to its line-table addresses, a function to where it breaks, an address to code,
// a data id to the bytes it watches) and set in the live call, or refused with the reason. Lists
// are replaced whole, as DAP sends them; new addresses are pinned before old ones are released so
// that a breakpoint kept across the change never drops out.
import { hex } from '../../../native/lib/hex';
import { parseHitCondition, parseLogMessage, type BreakpointBook, type BreakpointOptions, type UserBreakpoint } from './breakpoints';
import type { Execution } from './execution';
import type { GuestProgram } from './program';

export interface DataBreakpointSpec extends BreakpointOptions {
  /** As dataBreakpointInfo made it: `0x<address>/<length>`. */
  readonly dataId: string;
  readonly accessType?: 'read' | 'write' | 'readWrite';
}

/** What the setter needs from the session it serves. */
export interface BreakpointContext {
  readonly program: GuestProgram;
  readonly book: BreakpointBook;
  /** The live call, when there is one (none post-mortem, none between a restart's end and start). */
  execution(): Execution | undefined;
  /** Host functions registered in the session (HostPrint at least). */
  hostFunctionNames(): readonly string[];
  /** Why no breakpoint can ever be hit, when that is so (a post-mortem session). */
  readonly neverRuns?: string;
}

/** A problem with a breakpoint's hit condition or log message, in words; undefined when fine. */
function optionProblem(options: BreakpointOptions): string | undefined {
  try {
    if (options.hitCondition) parseHitCondition(options.hitCondition);
    if (options.logMessage) parseLogMessage(options.logMessage);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export class BreakpointSetter {
  constructor(private readonly context: BreakpointContext) {}

  private get program(): GuestProgram {
    return this.context.program;
  }

  private get book(): BreakpointBook {
    return this.context.book;
  }

  /** A new breakpoint, or undefined-free: its problem in `message` when its options are bad. */
  private create(kind: UserBreakpoint['kind'], options: BreakpointOptions): { bp: UserBreakpoint; problem: string | undefined } {
    const bp = this.book.create(kind, options);
    return { bp, problem: optionProblem(options) ?? this.context.neverRuns };
  }

  async setSource(path: string, specs: ReadonlyArray<{ line: number } & BreakpointOptions>): Promise<UserBreakpoint[]> {
    const created = specs.map((spec) => {
      const { bp, problem } = this.create('source', spec);
      bp.file = path;
      bp.line = spec.line;
      const found = problem ? undefined : this.program.lineBreak(path, spec.line);
      if (problem) bp.message = problem;
      else if (!found) bp.message = `no code at or after line ${spec.line} of ${path} in ${this.program.path}`;
      else {
        bp.verified = true;
        bp.addresses = found.addresses;
        bp.line = found.line;
        bp.file = found.file;
        if (found.line !== spec.line) bp.message = `moved from line ${spec.line} to line ${found.line}, the next line with code`;
      }
      return bp;
    });
    await this.swap(this.book.replaceSource(path, created), created);
    return created;
  }

  async setFunctions(specs: ReadonlyArray<{ name: string } & BreakpointOptions>): Promise<UserBreakpoint[]> {
    const hostNames = new Set(this.context.hostFunctionNames());
    const created = specs.map((spec) => {
      const name = spec.name.trim();
      const guest = this.program.functionBreaks(name);
      const { bp, problem } = this.create(hostNames.has(name) && guest.length === 0 ? 'host-function' : 'function', spec);
      if (problem) bp.message = problem;
      else if (guest.length > 0) {
        bp.verified = true;
        bp.addresses = guest.map((g) => g.address);
        bp.file = guest[0].file;
        bp.line = guest[0].line;
      } else if (hostNames.has(name)) {
        bp.verified = true;
        bp.hostFunction = name;
        bp.message = `stops where the guest calls the host function ${name}`;
      } else {
        bp.message = `no function ${JSON.stringify(name)} in ${this.program.path} and no host function of that name (host functions: ${[...hostNames].join(', ')})`;
      }
      return bp;
    });
    await this.swap(this.book.replaceFunctions(created), created);
    this.context.execution()?.call.breakOnHostCalls(this.book.hostFunctionNames());
    return created;
  }

  async setInstructions(specs: ReadonlyArray<{ address: bigint } & BreakpointOptions>): Promise<UserBreakpoint[]> {
    const created = specs.map((spec) => {
      const { bp, problem } = this.create('instruction', spec);
      if (problem) bp.message = problem;
      else if (!this.program.symbols.functionAt(spec.address) && !this.program.info.covers(spec.address)) {
        bp.message = `${hex(spec.address)} is not inside the guest's code`;
      } else {
        bp.verified = true;
        bp.addresses = [spec.address];
        const line = this.program.lineAt(spec.address);
        bp.file = line?.file;
        bp.line = line?.line || undefined;
      }
      return bp;
    });
    await this.swap(this.book.replaceInstructions(created), created);
    return created;
  }

  async setData(specs: ReadonlyArray<DataBreakpointSpec>): Promise<UserBreakpoint[]> {
    const exec = this.context.execution();
    for (const bp of this.book.replaceData([])) if (bp.watch?.slot !== undefined) await exec?.call.clearWatchpoint(bp.watch.slot).catch(() => undefined);
    const created: UserBreakpoint[] = [];
    for (const spec of specs) {
      const { bp, problem } = this.create('data', spec);
      created.push(bp);
      const match = /^0x([0-9a-f]+)\/(\d)$/.exec(spec.dataId);
      if (problem) {
        bp.message = problem;
        continue;
      }
      if (!match) {
        bp.message = `data breakpoint id ${JSON.stringify(spec.dataId)} did not come from dataBreakpointInfo`;
        continue;
      }
      if (spec.accessType === 'read') {
        bp.message = 'x86 watchpoints cannot watch reads alone: use read/write access';
        continue;
      }
      const access = spec.accessType === 'readWrite' ? 'readwrite' : 'write';
      const address = BigInt(`0x${match[1]}`);
      const length = Number(match[2]);
      bp.watch = { address, length, access, description: `${length} bytes at ${hex(address)}` };
      bp.verified = true;
      if (!exec) continue;
      try {
        bp.watch.slot = await exec.call.setWatchpoint(address, length, access);
      } catch (error) {
        bp.verified = false;
        bp.message = (error as Error).message;
      }
    }
    this.book.replaceData(created);
    return created;
  }

  /** Sets every verified breakpoint in a new call (a restart), hit counts from zero. */
  async reapply(exec: Execution): Promise<void> {
    for (const bp of this.book.all()) {
      if (!bp.verified) continue;
      for (const address of bp.addresses) await exec.pins.pin(address);
      if (bp.watch) bp.watch.slot = await exec.call.setWatchpoint(bp.watch.address, bp.watch.length, bp.watch.access);
      bp.hits = 0;
    }
    exec.call.breakOnHostCalls(this.book.hostFunctionNames());
  }

  /** Pins the new breakpoints' addresses, then releases the old ones' (shared addresses stay set). */
  private async swap(old: readonly UserBreakpoint[], created: readonly UserBreakpoint[]): Promise<void> {
    const exec = this.context.execution();
    if (!exec) return;
    for (const bp of created) {
      const pinned: bigint[] = [];
      try {
        for (const address of bp.addresses) {
          await exec.pins.pin(address);
          pinned.push(address);
        }
      } catch (error) {
        // All of a breakpoint's addresses or none: release what was pinned of it.
        for (const address of pinned) await exec.pins.unpin(address);
        bp.verified = false;
        bp.message = `cannot set a breakpoint at ${hex(bp.addresses[pinned.length])}: ${(error as Error).message}`;
      }
    }
    for (const bp of old) if (bp.verified) for (const address of bp.addresses) await exec.pins.unpin(address);
  }
}
