// The sandbox lifecycle: create (load, initialise, snapshot) → call / callSync (each restored to
// the snapshot afterwards) → dispose. A disposed sandbox rejects every call.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nativeAddon, type NativeDescription, type NativeOutcome, type NativeSandbox } from './addon';
import { CallSession, SMALL_RECORD, type Step } from './call-session';
import { writeCrashDump, type DumpSource } from './crash-dump';
import { DebugCall } from './debug-call';
import { ElfFile, SymbolTable } from './elf';
import { MicroVmError } from './errors';
import { decodeFault } from './faults';
import { HostFunctionRegistry } from './host-functions';
import { readInputFile } from './input-file';
import { fromNativeError } from './native-errors';
import { encodeCall } from './records';
import type { SandboxInternals } from './sandbox-internals';
import type { CallResult, FunctionSignature, GuestFault, GuestFile, GuestValue, HostCallRecord, SandboxOptions } from './types';
import { runSliced, type RunPrologue } from './vcpu-runs';
import { isWasmModule, wasmGuest, wasmTrapError, type WasmGuest } from './wasm';

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

interface LoadedGuest {
  bytes: Uint8Array;
  guestPath?: string;
  read: boolean;
  /** A Wasm module's translation: `bytes` and `guestPath` are then its guest ELF's. */
  wasm?: WasmGuest;
}

function readGuest(guest: string | Uint8Array | GuestFile): LoadedGuest {
  let loaded: LoadedGuest;
  if (guest instanceof Uint8Array) loaded = { bytes: guest, read: false };
  else if (typeof guest !== 'string') loaded = { bytes: guest.bytes, guestPath: path.resolve(guest.path), read: false };
  else {
    try {
      loaded = { bytes: readInputFile(guest), guestPath: path.resolve(guest), read: true };
    } catch (error) {
      throw new MicroVmError('ELF_INVALID', `guest ${(error as Error).message}`);
    }
  }
  if (!isWasmModule(loaded.bytes)) return loaded;
  // A Wasm module runs as its translated guest ELF (cached by the module's hash).
  const wasm = wasmGuest(loaded.bytes, { file: loaded.guestPath });
  return { bytes: fs.readFileSync(wasm.elfPath), guestPath: wasm.elfPath, read: true, wasm };
}

/** Enough memory for a Wasm guest's linear memory, when the caller did not choose: image, buffers, stack, the initial pages and 1 MiB to grow. */
function wasmMemorySize(wasm: WasmGuest, elfSize: number, options: SandboxOptions): number {
  const MiB = 1024 * 1024;
  const buffers = (options.inputBufferSize ?? 65536) + (options.outputBufferSize ?? 65536) + (options.stackSize ?? 65536) + 8192;
  const needed = MiB + elfSize + buffers + wasm.initialPages * 65536 + 2 * MiB;
  return Math.max(2 * MiB, Math.ceil(needed / MiB) * MiB);
}

/** Every host function a Wasm module imports must be registered, with the module's types. */
function checkWasmImports(wasm: WasmGuest, registry: HostFunctionRegistry, label: string): void {
  for (const imp of wasm.imports) {
    const fn = registry.get(imp.hostSignature.name);
    const wanted = `${imp.field}(${imp.hostSignature.paramTypes.join(', ')}) -> ${imp.hostSignature.returnType}`;
    if (!fn) {
      throw new MicroVmError('WASM_INVALID', `${label}the module imports ${imp.module}.${imp.field}, but no host function ${imp.field} is registered (registered: ${registry.names().join(', ')}); it needs ${wanted}`);
    }
    const same = fn.returnType === imp.hostSignature.returnType && fn.paramTypes.length === imp.hostSignature.paramTypes.length
      && fn.paramTypes.every((t, i) => t === imp.hostSignature.paramTypes[i]);
    if (!same) {
      throw new MicroVmError('WASM_INVALID', `${label}the module imports ${imp.module}.${imp.field} as ${wanted}, but the host function is ${HostFunctionRegistry.signature(fn)}`);
    }
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

export class Sandbox {
  readonly functions: readonly FunctionSignature[];
  readonly hostFunctions: HostFunctionRegistry;
  private nativeHandle: NativeSandbox | undefined;
  private readonly description: NativeDescription;
  private symbols: SymbolTable | null | undefined;
  private readonly timeoutMs: number;
  private readonly inlineSliceUs: number;
  /** Where runSync copies the start of the output buffer (NativeOutcome.outputPrefixBytes). */
  private readonly outputPrefix = new Uint8Array(SMALL_RECORD);
  /** The call in progress (a sandbox runs one call at a time). */
  private currentSession: CallSession | undefined;
  private currentDebugCall: DebugCall | undefined;
  /** What call sessions and debug calls see of this sandbox; the addon handle stays private. */
  private readonly internals: SandboxInternals;

  /**
   * Creates the VM, loads the guest, runs its initialisation and snapshots it. The guest is a path,
   * its bytes, or both (a GuestFile: bytes already read, named by their file).
   */
  static create(guest: string | Uint8Array | GuestFile, options: SandboxOptions = {}): Sandbox {
    const { bytes, guestPath, read, wasm } = readGuest(guest);
    if (!wasm) return new Sandbox(bytes, guestPath, read, options);
    const sized = options.memorySize === undefined ? { ...options, memorySize: wasmMemorySize(wasm, bytes.length, options) } : options;
    try {
      return new Sandbox(bytes, guestPath, read, sized, wasm);
    } catch (error) {
      throw wasmTrapError(error, wasm);
    }
  }

  /** The Wasm module's translation, when the guest is a Wasm module. */
  readonly wasm: WasmGuest | undefined;

  /** The guest's bytes when they were given; a guest read from its path is re-read for symbols. */
  private readonly elfBytes: Uint8Array | undefined;

  private constructor(
    elfBytes: Uint8Array,
    readonly guestPath: string | undefined,
    readFromPath: boolean,
    private readonly options: SandboxOptions,
    wasm?: WasmGuest,
  ) {
    this.wasm = wasm;
    // Idle sandboxes should cost little: keep no copy of a guest that can be read again. Bytes the
    // caller gave are theirs already: keeping a reference copies nothing and saves that read.
    this.elfBytes = readFromPath ? undefined : elfBytes;
    this.timeoutMs = checkTimeout(options.timeoutMs);
    this.inlineSliceUs = checkInlineSlice(options.inlineSliceUs);
    checkSizes(options);
    this.hostFunctions = new HostFunctionRegistry(options.hostFunctions ?? [], (text) => this.currentSession?.print(text));
    if (wasm) checkWasmImports(wasm, this.hostFunctions, '');
    const self = this;
    this.internals = {
      get native() {
        return self.native;
      },
      get layout() {
        return self.layout;
      },
      hostFunctions: this.hostFunctions,
      onPrint: options.onPrint,
      outputPrefix: this.outputPrefix,
      functionAt: (address) => this.functionAt(address),
      faultError: (outcome, what, hostCalls) => this.faultError(outcome, what, hostCalls),
    };
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
      const session = new CallSession(this.internals, undefined, this.timeoutMs);
      this.drive(session);
      native.finishInitialisation();
    } catch (error) {
      this.dispose();
      throw fromNativeError(error, label);
    }
  }

  private get native(): NativeSandbox {
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

  /** Runtime address minus link-time address of the guest image (0 unless a PIE was relocated). */
  get loadBias(): bigint {
    return this.description.loadBias;
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

  /** What a core file of this sandbox is made of: the guest's name and entry, its regions and their bytes. */
  private get dumpSource(): DumpSource {
    return { guestPath: this.guestPath, entry: this.entry, regions: this.regions, native: { readMemory: (address, length) => this.native.readMemory(address, length) } };
  }

  private faultError(outcome: NativeOutcome, what: string, hostCalls: readonly HostCallRecord[]): MicroVmError {
    const registers = outcome.registers!;
    const fault: GuestFault = decodeFault(outcome.vector ?? -1, outcome.errorCode ?? 0, outcome.cr2 ?? 0n, registers, {
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
        error.details.crashDumpPath = writeCrashDump(this.options.crashDumpDir, this.dumpSource, fault, what, hostCalls);
        error.message += `; crash dump written to ${error.details.crashDumpPath}`;
      } catch (dumpError) {
        error.message += `; writing the crash dump failed: ${(dumpError as Error).message}`;
      }
    }
    return error;
  }

  /** Checks the call and encodes its record; `start` then begins it on the thread that will run it. */
  private prepare(name: string, args: readonly GuestValue[]): { session: CallSession; signature: FunctionSignature; record: Uint8Array } {
    this.native; // throws when disposed
    if (this.currentSession) throw new MicroVmError('SANDBOX_BUSY', `cannot call ${name}: a call is already running on this sandbox`);
    const signature = this.findFunction(name);
    if (!signature) {
      const known = this.functions.map((fn) => fn.name).join(', ') || 'none';
      throw new MicroVmError('UNKNOWN_FUNCTION', `the guest has no function ${JSON.stringify(name)}; it exports: ${known}`, { functionName: name });
    }
    const record = encodeCall(signature, args, this.layout.inputAddress, this.layout.inputSize);
    this.currentSession = new CallSession(this.internals, signature, this.timeoutMs);
    return { session: this.currentSession, signature, record };
  }

  /**
   * Ends a call: the snapshot restore is marked due and runs before anything next touches the VM
   * (the next call, a debugger read), on that operation's thread.
   */
  private end(): void {
    this.currentSession = undefined;
    this.currentDebugCall = undefined;
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
    } catch (error) {
      throw this.wasm ? wasmTrapError(error, this.wasm) : error;
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
      let prologue: RunPrologue | undefined = { timeoutMs: this.timeoutMs, input: record };
      if (this.inlineSliceUs > 0) {
        this.beginOnThisThread(record);
        prologue = undefined;
      }
      for (;;) {
        const outcome = await runSliced(this.native, this.inlineSliceUs, this.outputPrefix, prologue);
        prologue = undefined;
        // dispose() while the vCPU thread ran stops the guest (a 'paused' exit) and frees the VM:
        // whatever the run brought back, the call is over.
        if (!this.nativeHandle) throw new MicroVmError('SANDBOX_DISPOSED', `the sandbox was disposed while ${name} was running`, { functionName: name });
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
    } catch (error) {
      throw this.wasm ? wasmTrapError(error, this.wasm) : error;
    } finally {
      this.end();
    }
  }

  /**
   * Starts a guest call under a debugger: it is created stopped at its entry (no guest
   * instruction has run), and runs only when asked (see DebugCall). Host functions are answered
   * as in call(); the sandbox is restored to its snapshot when the debug call ends.
   */
  debugCall(name: string, ...args: GuestValue[]): DebugCall {
    const { session, signature, record } = this.prepare(name, args);
    try {
      this.beginOnThisThread(record);
      this.currentDebugCall = new DebugCall({
        sandbox: this.internals,
        session,
        signature,
        inlineSliceUs: this.inlineSliceUs,
        dumpSource: () => this.dumpSource,
        end: () => this.end(),
      });
      return this.currentDebugCall;
    } catch (error) {
      this.end();
      throw error;
    }
  }

  /**
   * Puts guest memory and the vCPU back to the snapshot now. Every call ends with this restore
   * (done lazily, before the next call); calling it yourself only moves the work.
   */
  restore(): void {
    if (this.currentSession) throw new MicroVmError('SANDBOX_BUSY', 'cannot restore while a call is running on this sandbox');
    try {
      this.native.restore();
    } catch (error) {
      throw fromNativeError(error);
    }
  }

  /** Destroys the VM. Idempotent. A call or debug call in progress fails with SANDBOX_DISPOSED. */
  dispose(): void {
    const native = this.nativeHandle;
    const debugCall = this.currentDebugCall;
    this.nativeHandle = undefined;
    this.currentDebugCall = undefined;
    debugCall?.sandboxDisposed();
    native?.dispose();
  }
}

/** Validates a guest ELF without creating a VM and lists its functions. */
export function inspectGuest(guest: string | Uint8Array | GuestFile): { functions: FunctionSignature[]; entry: bigint; positionIndependent: boolean } {
  // A Wasm module is translated (or found in the cache) and its guest ELF inspected.
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
