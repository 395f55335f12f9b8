// The sandbox lifecycle: create (load, initialise, snapshot) → call / callSync (each restored to
// the snapshot afterwards) → dispose. A disposed sandbox rejects every call.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nativeAddon, type NativeDescription, type NativeOutcome, type NativeSandbox } from './addon';
import { CallSession, SMALL_RECORD, type Step } from './call-session';
import { writeCrashDump, writeStateDump } from './crash-dump';
import { ElfFile, SymbolTable } from './elf';
import { MicroVmError } from './errors';
import { describeFault } from './faults';
import { HostFunctionRegistry } from './host-functions';
import { encodeCall } from './records';
import type { SandboxInternals } from './sandbox-internals';
import type { CallResult, FunctionSignature, GuestFault, GuestValue, HostCallRecord, SandboxOptions } from './types';

const DEFAULT_TIMEOUT_MS = 5000;

// Symbol tables of guest files, shared by their sandboxes; keyed by path, size and mtime so a
// rebuilt guest is read again.
const symbolTables = new Map<string, SymbolTable>();

function symbolTableOf(guestPath: string, loadBias: bigint): SymbolTable {
  const stat = fs.statSync(guestPath);
  const key = `${guestPath}:${stat.size}:${stat.mtimeMs}:${loadBias}`;
  let table = symbolTables.get(key);
  if (!table) {
    if (symbolTables.size >= 32) symbolTables.delete(symbolTables.keys().next().value as string);
    table = new SymbolTable(ElfFile.fromFile(guestPath).allSymbols(), loadBias);
    symbolTables.set(key, table);
  }
  return table;
}

/** Converts an error thrown by the addon (an Error with a `code`) into a MicroVmError. */
export function fromNativeError(error: unknown, prefix = ''): MicroVmError {
  if (error instanceof MicroVmError) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const known = typeof code === 'string' ? code : 'INTERNAL';
  return new MicroVmError(known as MicroVmError['code'], prefix + message);
}

function readGuest(guest: string | Uint8Array): { bytes: Uint8Array; guestPath?: string } {
  if (typeof guest !== 'string') return { bytes: guest };
  try {
    return { bytes: fs.readFileSync(guest), guestPath: path.resolve(guest) };
  } catch (error) {
    throw new MicroVmError('ELF_INVALID', `cannot read guest ${guest}: ${(error as Error).message}`);
  }
}

const SIZE_OPTIONS = ['memorySize', 'inputBufferSize', 'outputBufferSize', 'stackSize'] as const;

/** Sizes must be positive multiples of 4 KiB; the native layout adds the limits that depend on the guest. */
function checkSizes(options: SandboxOptions): void {
  for (const name of SIZE_OPTIONS) {
    const value: unknown = options[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value % 4096 !== 0) {
      throw new MicroVmError('INVALID_OPTIONS', `${name} must be a positive multiple of 4096 bytes, got ${typeof value === 'number' ? String(value) : typeof value}`);
    }
  }
}

function checkTimeout(timeoutMs: unknown): number {
  if (timeoutMs === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > 2 ** 31) {
    throw new MicroVmError('INVALID_OPTIONS', `timeoutMs must be a positive integer of milliseconds, got ${String(timeoutMs)}`);
  }
  return timeoutMs;
}

const DEFAULT_INLINE_SLICE_US = 1000;

function checkInlineSlice(sliceUs: unknown): number {
  if (sliceUs === undefined) return DEFAULT_INLINE_SLICE_US;
  if (typeof sliceUs !== 'number' || !Number.isInteger(sliceUs) || sliceUs < 0 || sliceUs > 1_000_000) {
    throw new MicroVmError('INVALID_OPTIONS', `inlineSliceUs must be an integer from 0 to 1000000 microseconds, got ${String(sliceUs)}`);
  }
  return sliceUs;
}

export class Sandbox implements SandboxInternals {
  readonly functions: readonly FunctionSignature[];
  readonly hostFunctions: HostFunctionRegistry;
  private nativeHandle: NativeSandbox | undefined;
  private readonly description: NativeDescription;
  private symbols: SymbolTable | null | undefined;
  private readonly timeoutMs: number;
  private readonly inlineSliceUs: number;
  readonly outputPrefix = new Uint8Array(SMALL_RECORD);
  /** The call in progress (a sandbox runs one call at a time). */
  private currentSession: CallSession | undefined;

  /** Creates the VM, loads the guest, runs its initialisation and snapshots it. */
  static create(guest: string | Uint8Array, options: SandboxOptions = {}): Sandbox {
    const { bytes, guestPath } = readGuest(guest);
    return new Sandbox(bytes, guestPath, options);
  }

  /** The guest's bytes when it was given as bytes; a guest given by path is re-read for symbols. */
  private readonly elfBytes: Uint8Array | undefined;

  private constructor(
    elfBytes: Uint8Array,
    readonly guestPath: string | undefined,
    private readonly options: SandboxOptions,
  ) {
    // Idle sandboxes should cost little: keep no copy of a guest that can be read again.
    this.elfBytes = guestPath ? undefined : elfBytes;
    this.timeoutMs = checkTimeout(options.timeoutMs);
    this.inlineSliceUs = checkInlineSlice(options.inlineSliceUs);
    checkSizes(options);
    this.hostFunctions = new HostFunctionRegistry(options.hostFunctions ?? [], (text) => this.currentSession?.print(text));
    const label = guestPath ? `${guestPath}: ` : '';
    let native: NativeSandbox;
    try {
      native = new (nativeAddon().NativeSandbox)(elfBytes, {
        memorySize: options.memorySize,
        inputBufferSize: options.inputBufferSize,
        outputBufferSize: options.outputBufferSize,
        stackSize: options.stackSize,
        kvmDevice: (options as { kvmDevice?: string }).kvmDevice,
      });
    } catch (error) {
      const converted = fromNativeError(error);
      throw converted.code === 'ELF_INVALID' ? new MicroVmError('ELF_INVALID', label + converted.message) : converted;
    }
    this.nativeHandle = native;
    this.description = native.describe();
    this.functions = this.description.functions;
    try {
      native.setBudget(this.timeoutMs);
      const session = new CallSession(this, undefined, this.timeoutMs);
      this.drive(session);
      native.finishInitialisation();
    } catch (error) {
      this.dispose();
      throw fromNativeError(error, label);
    }
  }

  get native(): NativeSandbox {
    if (!this.nativeHandle) throw new MicroVmError('SANDBOX_DISPOSED', 'this sandbox has been disposed; create a new one');
    return this.nativeHandle;
  }

  get disposed(): boolean {
    return this.nativeHandle === undefined;
  }

  get layout() {
    return this.description.layout;
  }

  get regions() {
    return this.description.regions;
  }

  get entry(): bigint {
    return this.description.entry;
  }

  get onPrint() {
    return this.options.onPrint;
  }

  findFunction(name: string): FunctionSignature | undefined {
    return this.functions.find((fn) => fn.name === name);
  }

  functionAt(address: bigint): string | undefined {
    if (this.symbols === undefined) {
      try {
        this.symbols = this.elfBytes
          ? new SymbolTable(new ElfFile(this.elfBytes).allSymbols(), this.description.loadBias)
          : symbolTableOf(this.guestPath!, this.description.loadBias);
      } catch {
        this.symbols = null; // a guest without a readable symbol table still runs
      }
    }
    return this.symbols?.functionAt(address)?.name;
  }

  faultError(outcome: NativeOutcome, what: string, hostCalls: readonly HostCallRecord[]): MicroVmError {
    const registers = outcome.registers!;
    const fault: GuestFault = describeFault(outcome.vector ?? -1, outcome.errorCode ?? 0, outcome.cr2 ?? 0n, registers, {
      layout: this.layout,
      read: (address, length) => {
        try {
          return this.native.readMemory(address, length);
        } catch {
          return undefined;
        }
      },
      functionAt: (address) => this.functionAt(address),
    });
    const error = new MicroVmError('GUEST_FAULT', `${what} faulted: ${fault.description}`, { fault });
    if (this.options.crashDumpDir) {
      try {
        error.details.crashDumpPath = writeCrashDump(this.options.crashDumpDir, this, fault, what, hostCalls);
        error.message += `; crash dump written to ${error.details.crashDumpPath}`;
      } catch (dumpError) {
        error.message += `; writing the crash dump failed: ${(dumpError as Error).message}`;
      }
    }
    return error;
  }

  /** Writes a core file of the guest as it is now (for a debugger stopped at a breakpoint). */
  dumpCore(directory: string, reason: string): string {
    return writeStateDump(directory, this, this.native.getRegisters(), reason);
  }

  /** Checks the call and encodes its record; `start` then begins it on the thread that will run it. */
  private prepare(name: string, args: readonly GuestValue[]): { session: CallSession; record: Uint8Array } {
    this.native; // throws when disposed
    if (this.currentSession) throw new MicroVmError('SANDBOX_BUSY', `cannot call ${name}: a call is already running on this sandbox`);
    const signature = this.findFunction(name);
    if (!signature) {
      const known = this.functions.map((fn) => fn.name).join(', ') || 'none';
      throw new MicroVmError('UNKNOWN_FUNCTION', `the guest has no function ${JSON.stringify(name)}; it exports: ${known}`, { functionName: name });
    }
    const record = encodeCall(signature, args, this.layout.inputAddress, this.layout.inputSize);
    this.currentSession = new CallSession(this, signature, this.timeoutMs);
    return { session: this.currentSession, record };
  }

  /**
   * Ends a call: the snapshot restore is marked due and runs before anything next touches the VM
   * (the next call, a debugger read), on that operation's thread.
   */
  private end(): void {
    this.currentSession = undefined;
    if (!this.nativeHandle) return;
    try {
      this.nativeHandle.restoreLater();
    } catch (error) {
      this.dispose();
      throw fromNativeError(error, 'restoring the snapshot failed, the sandbox was disposed: ');
    }
  }

  /** Runs a session to completion on this thread. */
  private drive(session: CallSession): CallResult {
    const previous = this.currentSession;
    this.currentSession = session;
    try {
      for (;;) {
        let outcome: NativeOutcome;
        try {
          outcome = this.native.runSync(undefined, this.outputPrefix);
        } catch (error) {
          throw fromNativeError(error);
        }
        const step = session.step(outcome, false);
        if (step.kind === 'done') return step.result;
      }
    } finally {
      this.currentSession = previous;
    }
  }

  /** Restores if due, points the vCPU at the call with a fresh time budget and writes its record. */
  private beginOnThisThread(record: Uint8Array): void {
    try {
      this.native.beginCall(this.timeoutMs);
      this.native.writeInput(record);
    } catch (error) {
      throw fromNativeError(error);
    }
  }

  /** Calls a guest function on this thread (blocking); the VM is restored afterwards. */
  callSync(name: string, ...args: GuestValue[]): CallResult {
    const { session, record } = this.prepare(name, args);
    try {
      this.beginOnThisThread(record);
      return this.drive(session);
    } finally {
      this.end();
    }
  }

  /**
   * Calls a guest function without blocking the event loop for long; host functions may be async.
   * Each run of the guest starts on this thread for at most `inlineSliceUs` and, if the guest is
   * still running then, goes on on the sandbox's vCPU thread: a short call costs no thread
   * hand-off (two cross-thread wake-ups cost more than a whole call here), a long one runs in
   * parallel with the event loop and with other sandboxes.
   */
  async call(name: string, ...args: GuestValue[]): Promise<CallResult> {
    const { session, record } = this.prepare(name, args);
    try {
      // Without inline slices the restore, the call's start and its first run all happen on the
      // vCPU thread: vCPU ioctls from alternating threads are dear on some hosts.
      let prologue: { timeoutMs: number; input: Uint8Array } | undefined = { timeoutMs: this.timeoutMs, input: record };
      if (this.inlineSliceUs > 0) {
        this.beginOnThisThread(record);
        prologue = undefined;
      }
      for (;;) {
        const outcome = await this.runSliced(prologue);
        prologue = undefined;
        let step: Step = session.step(outcome, true);
        if (step.kind === 'pending') {
          let value: GuestValue;
          try {
            value = await step.promise;
          } catch (error) {
            step.fail(error);
          }
          step.finish(value!);
          step = { kind: 'run' };
        }
        if (step.kind === 'done') return step.result;
      }
    } finally {
      this.end();
    }
  }

  /** One run: inline for up to inlineSliceUs, then (or at once, without slices) on the vCPU thread. */
  private async runSliced(prologue?: { timeoutMs: number; input: Uint8Array }): Promise<NativeOutcome> {
    if (this.inlineSliceUs > 0 && !prologue) {
      let outcome: NativeOutcome;
      try {
        outcome = this.native.runSync(this.inlineSliceUs, this.outputPrefix);
      } catch (error) {
        throw fromNativeError(error);
      }
      if (outcome.kind !== 'sliced') return outcome;
      // Prints served before the slice ran out belong before whatever the thread run brings.
      const next = await this.runAsync();
      if (outcome.served) next.served = next.served ? [...outcome.served, ...next.served] : outcome.served;
      return next;
    }
    return this.runAsync(prologue);
  }

  private runAsync(prologue?: { timeoutMs: number; input: Uint8Array }): Promise<NativeOutcome> {
    return new Promise((resolve, reject) => {
      try {
        this.native.runAsync((error, outcome) => (error ? reject(fromNativeError(error)) : resolve(outcome!)), prologue);
      } catch (error) {
        reject(fromNativeError(error));
      }
    });
  }

  /** Destroys the VM. Idempotent. */
  dispose(): void {
    const native = this.nativeHandle;
    this.nativeHandle = undefined;
    native?.dispose();
  }
}

/** Validates a guest ELF without creating a VM and lists its functions. */
export function inspectGuest(guest: string | Uint8Array): { functions: FunctionSignature[]; entry: bigint; positionIndependent: boolean } {
  const { bytes, guestPath } = readGuest(guest);
  try {
    const info = nativeAddon().inspectElf(bytes);
    return { functions: info.functions, entry: info.entry, positionIndependent: info.positionIndependent };
  } catch (error) {
    throw fromNativeError(error, guestPath ? `${guestPath}: ` : '');
  }
}

export function liveSandboxCount(): number {
  return nativeAddon().liveMachines();
}

/** Checks that KVM is usable; throws KVM_UNAVAILABLE with what to do otherwise. */
export function checkKvm(device?: string): { apiVersion: number; guestDebug: boolean; debugRegisters: boolean } {
  try {
    return nativeAddon().checkKvm(device);
  } catch (error) {
    throw fromNativeError(error);
  }
}
