// Loads the native addon and describes its surface. Only this module touches the raw binding;
// everything above it works with the typed interface below.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FunctionSignature, MemoryRegion, Registers } from './types';

export type NativeOutcomeKind =
  | 'ready' | 'host-call' | 'abort' | 'exception' | 'timeout' | 'paused' | 'shutdown' | 'unexpected-exit'
  | 'breakpoint' | 'watchpoint' | 'step'
  /** runSync(sliceUs): the slice ran out before the guest left; the call goes on at the next run. */
  | 'sliced';

/** A host call the engine answered itself (HostPrint), before the exit it comes with. */
export interface ServedHostCall {
  text: string;
  durationUs: number;
}

/** One VM exit, as the run loop reports it. */
export interface NativeOutcome {
  kind: NativeOutcomeKind;
  rip: bigint;
  detail?: string;
  /** Present for every kind but 'ready', 'host-call' and 'abort'; for 'exception', as at the faulting instruction. */
  registers?: Registers;
  vector?: number;
  errorCode?: number;
  cr2?: bigint;
  /** 'breakpoint': the breakpoint address; 'watchpoint': the watched address. */
  address?: bigint;
  /** Debug-register slot (0-3) of a hardware breakpoint or watchpoint. */
  hardwareSlot?: number;
  /** 'watchpoint' on hosts without usable debug registers: the instruction that wrote. */
  writerRip?: bigint;
  /** 'watchpoint': the watched bytes before and after the access. */
  oldValue?: Uint8Array;
  newValue?: Uint8Array;
  /** HostPrint calls served natively since the previous outcome, in order. */
  served?: ServedHostCall[];
  /** runSync with an outputPrefix: how many bytes of the output buffer were copied into it. */
  outputPrefixBytes?: number;
}

export type HardwareBreakpointKind = 'execute' | 'write' | 'readwrite';

/** Register values the debugger may write; anything omitted is left as it is. */
export interface RegisterWrites {
  [gpr: string]: unknown;
  fpu?: { fcw?: number; fsw?: number; ftw?: number; mxcsr?: number; st?: (Uint8Array | undefined)[]; xmm?: (Uint8Array | undefined)[] };
}

export interface NativeLayout {
  memorySize: number;
  imageEnd: bigint;
  pebAddress: bigint;
  inputAddress: bigint;
  inputSize: number;
  outputAddress: bigint;
  outputSize: number;
  heapAddress: bigint;
  heapSize: number;
  stackGuardAddress: bigint;
  stackBottom: bigint;
  stackSize: number;
  exceptionStackBottom: bigint;
  exceptionStackTop: bigint;
}

export interface NativeDescription {
  entry: bigint;
  loadBias: bigint;
  positionIndependent: boolean;
  dispatchFunction: bigint;
  layout: NativeLayout;
  regions: MemoryRegion[];
  functions: FunctionSignature[];
}

export interface NativeSegment {
  address: bigint;
  size: number;
  readable: boolean;
  writable: boolean;
  executable: boolean;
}

export interface NativeElfInfo {
  entry: bigint;
  positionIndependent: boolean;
  loadBias: bigint;
  imageStart: bigint;
  imageEnd: bigint;
  segments: NativeSegment[];
  functions: FunctionSignature[];
}

export interface NativeSandboxOptions {
  memorySize?: number;
  inputBufferSize?: number;
  outputBufferSize?: number;
  stackSize?: number;
  /** Another KVM device path; tests use it to check the error messages. */
  kvmDevice?: string;
}

export interface NativeSandbox {
  /**
   * Runs on this thread until an exit JS must see; with sliceUs, at most that long ('sliced').
   * After a host-call, ready or abort exit the start of the output buffer is copied into
   * `outputPrefix` (see NativeOutcome.outputPrefixBytes).
   */
  runSync(sliceUs?: number, outputPrefix?: Uint8Array): NativeOutcome;
  /** One run on the vCPU thread; the prologue restores and/or begins a call on that thread first. */
  runAsync(callback: (error: Error | null, outcome?: NativeOutcome) => void,
    prologue?: { restore?: boolean; timeoutMs?: number; input?: Uint8Array }): void;
  finishInitialisation(): void;
  beginCall(timeoutMs: number): void;
  setBudget(timeoutMs: number): void;
  restore(): void;
  /** Marks the restore as due: it runs before the next operation that touches the VM, on that operation's thread. */
  restoreLater(): void;
  requestPause(): void;
  getRegisters(): Registers;
  /** General registers, rip/rflags, cr0/cr2/cr3/cr4/efer and segment {selector, base} as bigint fields; `fpu` for x87/SSE. */
  setRegisters(registers: RegisterWrites): void;
  setBreakpoint(address: bigint): void;
  removeBreakpoint(address: bigint): void;
  setHardwareBreakpoint(slot: number, config: { address: bigint; kind: HardwareBreakpointKind; length?: number }): void;
  clearHardwareBreakpoint(slot: number): void;
  setSingleStep(enabled: boolean): void;
  /** Whether HostPrint is answered natively (default) or every host call exits to JS (debug calls). */
  setServeBuiltins(enabled: boolean): void;
  readMemory(address: bigint, length: number): Buffer;
  writeMemory(address: bigint, data: Uint8Array): void;
  writeInput(data: Uint8Array): void;
  readOutput(length: number): Buffer;
  writeOutput(data: Uint8Array): void;
  describe(): NativeDescription;
  dispose(): void;
}

export interface NativeAddon {
  NativeSandbox: new (elf: Uint8Array, options: NativeSandboxOptions) => NativeSandbox;
  inspectElf(elf: Uint8Array): NativeElfInfo;
  checkKvm(device?: string): { apiVersion: number; guestDebug: boolean; debugRegisters: boolean };
  liveMachines(): number;
}

const ADDON_FILE = path.join('build', 'Release', 'microvm_native.node');

/** Finds the addon: $MICROVM_NATIVE_ADDON, else build/Release under the nearest package root. */
export function addonPath(): string {
  const override = process.env.MICROVM_NATIVE_ADDON;
  if (override) return path.resolve(override);
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, ADDON_FILE);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`the native addon ${ADDON_FILE} was not found above ${__dirname}; run \`npm install\` to build it`);
}

let loaded: NativeAddon | undefined;

export function nativeAddon(): NativeAddon {
  if (!loaded) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    loaded = require(addonPath()) as NativeAddon;
  }
  return loaded;
}
