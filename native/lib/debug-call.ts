// A guest call under a debugger, with its lifecycle as a type: it is running, stopped (and why),
// or over (finished with a value, or failed with an error). While it lives, host functions are
// answered exactly as in Sandbox.call(); the time it spends stopped counts neither against its
// timeout (the engine budgets guest execution only) nor in its duration. When it ends, every
// breakpoint it set is removed and the sandbox is restored to its snapshot.
import type { HardwareBreakpointKind, NativeOutcome, RegisterWrites } from './addon';
import type { CallSession, HostCallRequest, Step } from './call-session';
import { writeStateDump, type DumpSource } from './crash-dump';
import { MicroVmError } from './errors';
import { fromNativeError, nativeCall } from './native-errors';
import type { SandboxInternals } from './sandbox-internals';
import type { CallResult, FunctionSignature, GuestValue, Registers } from './types';
import { runSliced } from './vcpu-runs';

/** Why a debug call is stopped. */
export type DebugStop =
  /** Created: the vCPU is at the call's entry and no guest instruction has run. */
  | { readonly reason: 'entry' }
  | { readonly reason: 'breakpoint'; readonly address: bigint }
  /** One instruction was executed (stepInstruction). */
  | { readonly reason: 'step' }
  | {
      readonly reason: 'watchpoint';
      readonly slot: number;
      readonly address: bigint;
      readonly oldValue: Uint8Array;
      readonly newValue: Uint8Array;
      /** The instruction that wrote, where the engine knows it (emulated watchpoints). */
      readonly writerRip?: bigint;
    }
  | { readonly reason: 'pause' }
  /** The guest is calling a host function named in breakOnHostCalls; it is answered on resume. */
  | { readonly reason: 'host-call'; readonly hostCall: { readonly function: string; readonly args: readonly GuestValue[] } }
  /**
   * The call cannot go on: a CPU fault, an abort, the timeout, an exit the ABI does not allow.
   * The machine can be inspected; resuming ends the call with `error`.
   */
  | { readonly reason: 'exception'; readonly error: MicroVmError };

export type DebugCallState =
  | { readonly kind: 'running' }
  | { readonly kind: 'stopped'; readonly stop: DebugStop }
  | { readonly kind: 'finished'; readonly result: CallResult }
  | { readonly kind: 'failed'; readonly error: MicroVmError };

export type WatchAccess = Exclude<HardwareBreakpointKind, 'execute'>;

/** What the sandbox hands a debug call. */
export interface DebugCallContext {
  readonly sandbox: SandboxInternals;
  readonly session: CallSession;
  readonly signature: FunctionSignature;
  readonly inlineSliceUs: number;
  readonly dumpSource: () => DumpSource;
  /** Ends the call on the sandbox: restore due, the sandbox free for the next call. */
  readonly end: () => void;
}

const WATCH_SLOTS = 4;

/** An edit of breakpoints asked for while the guest runs: applied at the next stop of the vCPU. */
interface PendingEdit {
  readonly apply: () => void;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class DebugCall {
  private current: DebugCallState = { kind: 'stopped', stop: { reason: 'entry' } };
  private stopRegisters: Registers | undefined;
  private stoppedAt = process.hrtime.bigint();
  /** The host call a 'host-call' stop holds, answered when the call resumes. */
  private heldHostCall: HostCallRequest | undefined;
  private readonly softwareBreakpoints = new Set<bigint>();
  private readonly watchSlots: (bigint | undefined)[] = new Array(WATCH_SLOTS).fill(undefined);
  private hostCallBreaks = new Set<string>();
  private userPause = false;
  /** Whether the current run is a single step. */
  private stepping = false;
  /** Set by abort() while the guest runs: the next stop ends the call instead. */
  private cancelling: MicroVmError | undefined;
  /** True while a run is on the vCPU thread (the addon refuses edits then). */
  private inFlight = false;
  private readonly pendingEdits: PendingEdit[] = [];
  private disposedError: MicroVmError | undefined;
  private signalDisposed: ((error: MicroVmError) => void) | undefined;
  private readonly disposed: Promise<never>;

  constructor(private readonly context: DebugCallContext) {
    this.disposed = new Promise<never>((_, reject) => {
      this.signalDisposed = reject;
    });
    this.disposed.catch(() => undefined);
    nativeCall(() => this.native.setServeBuiltins(false)); // every host call exits to JS, in order
    this.stopRegisters = nativeCall(() => this.native.getRegisters());
  }

  get functionName(): string {
    return this.context.signature.name;
  }

  get signature(): FunctionSignature {
    return this.context.signature;
  }

  get state(): DebugCallState {
    return this.current;
  }

  /** Host calls answered so far, in order. */
  get hostCalls() {
    return this.context.session.hostCalls;
  }

  /** Everything the guest printed so far. */
  get output(): string {
    return this.context.session.printed;
  }

  private get native() {
    return this.context.sandbox.native;
  }

  // ---------------------------------------------------------------------------------------------
  // Run control

  /** Runs until the next stop or the end of the call. */
  continue(): Promise<DebugCallState> {
    return this.resume(false);
  }

  /** Executes one instruction (answering a host call it makes), or ends the call. */
  stepInstruction(): Promise<DebugCallState> {
    return this.resume(true);
  }

  /** Asks a running call to stop ('pause'); nothing happens when it is not running. */
  pause(): void {
    if (this.current.kind !== 'running') return;
    this.userPause = true;
    if (this.inFlight) this.requestPause();
  }

  /** Ends the call now (it fails with CANCELLED); stops a running guest first. */
  async abort(): Promise<void> {
    if (this.isOver()) return;
    const cancelled = new MicroVmError('CANCELLED', `the debug call of ${this.functionName} was ended before it finished`);
    if (this.current.kind === 'running' && this.inFlight) {
      // The vCPU thread is running the guest: stop it before the sandbox is restored. The run
      // then ends the call itself, so that whoever awaits it sees the end, not a pause.
      this.cancelling = cancelled;
      this.pause();
      await this.whenStopped();
    }
    // Otherwise it waits for an async host function, whose answer will find the call over.
    if (!this.isOver()) this.end({ kind: 'failed', error: cancelled });
  }

  private runningSince: Promise<DebugCallState> | undefined;

  private whenStopped(): Promise<DebugCallState> {
    return this.runningSince ?? Promise.resolve(this.current);
  }

  private resume(step: boolean): Promise<DebugCallState> {
    const stop = this.requireStopped(step ? 'step' : 'continue');
    this.context.session.excludeStopped(process.hrtime.bigint() - this.stoppedAt);
    this.current = { kind: 'running' };
    this.stopRegisters = undefined;
    this.userPause = false;
    this.runningSince = this.run(stop, step).finally(() => {
      this.runningSince = undefined;
    });
    return this.runningSince;
  }

  private async run(from: DebugStop, step: boolean): Promise<DebugCallState> {
    try {
      if (from.reason === 'exception') return this.end({ kind: 'failed', error: from.error });
      if (from.reason === 'host-call') {
        const held = this.heldHostCall!;
        this.heldHostCall = undefined;
        await this.settle(this.context.session.answer(held, true));
      }
      this.stepping = step;
      nativeCall(() => this.native.setSingleStep(step));
      for (;;) {
        if (this.cancelling) return this.end({ kind: 'failed', error: this.cancelling });
        if (this.userPause) return this.stopAt({ reason: 'pause' });
        this.inFlight = true;
        let outcome: NativeOutcome;
        try {
          outcome = await Promise.race([runSliced(this.native, this.context.inlineSliceUs, this.context.sandbox.outputPrefix), this.disposed]);
        } finally {
          this.inFlight = false;
        }
        if (this.isOver()) return this.current;
        this.applyPendingEdits();
        const next = await this.handle(outcome);
        if (next?.kind === 'stopped' && this.cancelling) return this.end({ kind: 'failed', error: this.cancelling });
        if (next) return next;
      }
    } catch (error) {
      if (this.isOver()) return this.current;
      return this.end({ kind: 'failed', error: this.disposedError ?? asMicroVmError(error) });
    }
  }

  /** Decides what an exit means for the debugger: a stop, the end, or run on (undefined). */
  private async handle(outcome: NativeOutcome): Promise<DebugCallState | undefined> {
    const session = this.context.session;
    switch (outcome.kind) {
      case 'breakpoint':
        return this.stopAt({ reason: 'breakpoint', address: outcome.address! }, outcome.registers);
      case 'step':
        // A step the engine finishes for a run that was cut short while stepping: not asked for now.
        if (!this.stepping) return undefined;
        return this.stopAt({ reason: 'step' }, outcome.registers);
      case 'watchpoint':
        return this.stopAt({
          reason: 'watchpoint',
          slot: outcome.hardwareSlot!,
          address: outcome.address!,
          oldValue: outcome.oldValue ?? new Uint8Array(0),
          newValue: outcome.newValue ?? new Uint8Array(0),
          writerRip: outcome.writerRip,
        }, outcome.registers);
      case 'paused':
        // Not the user's pause: one this call asked for to apply edits (already done), or one
        // left over from a pause that another stop overtook.
        return this.userPause ? this.stopAt({ reason: 'pause' }, outcome.registers) : undefined;
      case 'sliced':
        return undefined;
      case 'host-call': {
        session.accept(outcome);
        const request = session.hostCallRequest();
        if (this.hostCallBreaks.has(request.name)) {
          this.heldHostCall = request;
          return this.stopAt({ reason: 'host-call', hostCall: { function: request.name, args: request.args } });
        }
        await this.settle(session.answer(request, true));
        return undefined;
      }
      case 'ready': {
        const step = session.step(outcome, true);
        return step.kind === 'done' ? this.end({ kind: 'finished', result: step.result }) : undefined;
      }
      case 'abort':
      case 'exception':
      case 'timeout':
      case 'shutdown':
      case 'unexpected-exit':
        try {
          session.step(outcome, true);
        } catch (error) {
          // For an exception the vCPU sits in the host's handler: show the guest's registers at
          // the faulting instruction, as the engine rebuilt them.
          return this.stopAt({ reason: 'exception', error: asMicroVmError(error) }, outcome.registers);
        }
        throw new MicroVmError('INTERNAL', `a ${outcome.kind} exit did not end ${this.functionName}`);
    }
  }

  /** Waits for an async host function, then writes its reply (or fails the call). */
  private async settle(step: Step): Promise<void> {
    if (step.kind !== 'pending') return;
    let value: GuestValue;
    try {
      value = await Promise.race([step.promise, this.disposed]);
    } catch (error) {
      if (this.isOver()) throw this.overError();
      step.fail(error);
    }
    // Aborted while the host function ran: the sandbox is no longer this call's to write.
    if (this.isOver()) throw this.overError();
    step.finish(value!);
  }

  private stopAt(stop: DebugStop, registers?: Registers): DebugCallState {
    this.userPause = false;
    this.stopRegisters = registers ?? nativeCall(() => this.native.getRegisters());
    this.stoppedAt = process.hrtime.bigint();
    this.current = { kind: 'stopped', stop };
    return this.current;
  }

  private isOver(): boolean {
    return this.current.kind === 'finished' || this.current.kind === 'failed';
  }

  /** Leaves the sandbox as a plain call would: no breakpoints, HostPrint served natively, restore due. */
  private end(state: DebugCallState & { kind: 'finished' | 'failed' }): DebugCallState {
    this.current = state;
    this.stopRegisters = undefined;
    for (const edit of this.pendingEdits.splice(0)) edit.reject(this.overError());
    if (!this.disposedError) {
      try {
        for (const address of this.softwareBreakpoints) this.native.removeBreakpoint(address);
        this.watchSlots.forEach((address, slot) => address !== undefined && this.native.clearHardwareBreakpoint(slot));
        this.native.setSingleStep(false);
        this.native.setServeBuiltins(true);
      } catch {
        // The sandbox went away under the call; nothing is left to clean.
      }
    }
    this.softwareBreakpoints.clear();
    this.watchSlots.fill(undefined);
    if (!this.disposedError) this.context.end();
    return state;
  }

  /** Called by the sandbox when it is disposed under the call. */
  sandboxDisposed(): void {
    this.disposedError = new MicroVmError('SANDBOX_DISPOSED', `the sandbox was disposed while ${this.functionName} was being debugged`);
    this.signalDisposed?.(this.disposedError);
    if (this.current.kind === 'stopped') this.end({ kind: 'failed', error: this.disposedError });
  }

  // ---------------------------------------------------------------------------------------------
  // Breakpoints: allowed at any time; while the guest runs they are applied at a brief internal
  // stop, and the returned promise settles then.

  /** A software breakpoint (int3) at an instruction address. */
  setBreakpoint(address: bigint): Promise<void> {
    return this.edit(() => {
      this.native.setBreakpoint(address);
      this.softwareBreakpoints.add(address);
    });
  }

  removeBreakpoint(address: bigint): Promise<void> {
    return this.edit(() => {
      if (this.softwareBreakpoints.delete(address)) this.native.removeBreakpoint(address);
    });
  }

  /**
   * Watches `length` (1, 2, 4 or 8) aligned bytes at `address` for writes (or any access, where
   * the host gives guests debug registers). Resolves to the slot, for clearWatchpoint.
   */
  async setWatchpoint(address: bigint, length: number, access: WatchAccess = 'write'): Promise<number> {
    let slot = -1;
    await this.edit(() => {
      slot = this.watchSlots.findIndex((used) => used === undefined);
      if (slot < 0) throw new MicroVmError('UNSUPPORTED', `all ${WATCH_SLOTS} watchpoint slots (the CPU's debug registers) are in use; remove a data breakpoint first`);
      this.native.setHardwareBreakpoint(slot, { address, kind: access, length });
      this.watchSlots[slot] = address;
    });
    return slot;
  }

  clearWatchpoint(slot: number): Promise<void> {
    return this.edit(() => {
      if (this.watchSlots[slot] === undefined) return;
      this.native.clearHardwareBreakpoint(slot);
      this.watchSlots[slot] = undefined;
    });
  }

  /** Host functions (by name, e.g. HostPrint) whose calls by the guest stop the call. */
  breakOnHostCalls(names: Iterable<string>): void {
    this.hostCallBreaks = new Set(names);
  }

  private edit(apply: () => void): Promise<void> {
    if (this.isOver()) return Promise.reject(this.overError());
    if (!this.inFlight) {
      try {
        nativeCall(apply);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.pendingEdits.push({ apply, resolve, reject });
      this.requestPause();
    });
  }

  private applyPendingEdits(): void {
    for (const edit of this.pendingEdits.splice(0)) {
      try {
        nativeCall(edit.apply);
        edit.resolve();
      } catch (error) {
        edit.reject(error);
      }
    }
  }

  private requestPause(): void {
    try {
      this.native.requestPause();
    } catch {
      // Disposed: the run is ended by the disposal itself.
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Machine state (while stopped)

  /** The vCPU's registers; at an exception stop, as they were at the faulting instruction. */
  registers(): Registers {
    this.requireStopped('read registers');
    return this.stopRegisters!;
  }

  setRegisters(writes: RegisterWrites): void {
    const stop = this.requireStopped('write registers');
    if (stop.reason === 'exception') throw this.refusedAtException('registers cannot be changed');
    nativeCall(() => this.native.setRegisters(writes));
    this.stopRegisters = nativeCall(() => this.native.getRegisters());
  }

  /** Guest memory through the guest's page tables; breakpoint int3s never show. */
  readMemory(address: bigint, length: number): Uint8Array {
    this.requireStopped('read memory');
    return nativeCall(() => this.native.readMemory(address, length));
  }

  writeMemory(address: bigint, data: Uint8Array): void {
    const stop = this.requireStopped('write memory');
    if (stop.reason === 'exception') throw this.refusedAtException('memory cannot be changed');
    nativeCall(() => this.native.writeMemory(address, data));
  }

  /** Writes an ELF core file of the machine as it is now into `directory`; returns its path. */
  dumpCore(directory: string, reason?: string): string {
    const stop = this.requireStopped('write a core file');
    const what = reason ?? `${this.functionName} stopped (${stop.reason})`;
    try {
      return writeStateDump(directory, this.context.dumpSource(), this.stopRegisters!, what);
    } catch (error) {
      throw fromNativeError(error);
    }
  }

  private requireStopped(action: string): DebugStop {
    const state = this.current;
    if (state.kind === 'stopped') return state.stop;
    if (state.kind === 'running') throw new MicroVmError('SANDBOX_BUSY', `cannot ${action}: ${this.functionName} is running; pause it first`);
    throw this.overError();
  }

  private overError(): MicroVmError {
    if (this.disposedError) return this.disposedError;
    const how = this.current.kind === 'finished' ? 'finished' : 'ended with an error';
    return new MicroVmError('SANDBOX_BUSY', `the debug call of ${this.functionName} has ${how}; start a new one`);
  }

  private refusedAtException(what: string): MicroVmError {
    return new MicroVmError('UNSUPPORTED', `${this.functionName} stopped at an exception that ends the call: ${what}, only inspected`);
  }
}

function asMicroVmError(error: unknown): MicroVmError {
  return error instanceof MicroVmError ? error : fromNativeError(error);
}
