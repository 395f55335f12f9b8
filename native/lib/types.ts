// Public types of the micro-VM host API. The wire format behind them is docs/guest-abi.md.

/** A parameter or return type of a guest or host function. */
export type ValueType = 'void' | 'i32' | 'u32' | 'i64' | 'u64' | 'f32' | 'f64' | 'bool' | 'string' | 'bytes';

export const VALUE_TYPES: readonly ValueType[] = ['void', 'i32', 'u32', 'i64', 'u64', 'f32', 'f64', 'bool', 'string', 'bytes'];

/**
 * A JavaScript value crossing the VM boundary.
 * i32/u32/f32/f64 ↔ number, i64/u64 ↔ bigint (a number is accepted when it is a safe integer),
 * bool ↔ boolean, string ↔ string, bytes ↔ Uint8Array, void ↔ undefined.
 */
export type GuestValue = number | bigint | boolean | string | Uint8Array | undefined;

/** A guest function as declared in the guest's `.microvm.functions` section. */
export interface FunctionSignature {
  readonly name: string;
  readonly returnType: ValueType;
  readonly paramTypes: readonly ValueType[];
}

/** A host function the guest may call through port I/O. */
export interface HostFunction {
  readonly name: string;
  readonly returnType: ValueType;
  readonly paramTypes: readonly ValueType[];
  /** May return a Promise only when the sandbox is called with the async `call()`. */
  readonly implementation: (...args: GuestValue[]) => GuestValue | Promise<GuestValue>;
}

export interface SegmentRegister {
  selector: number;
  base: bigint;
  limit: number;
  type: number;
  present: boolean;
  dpl: number;
  db: boolean;
  s: boolean;
  l: boolean;
  g: boolean;
}

export interface FpuState {
  fcw: number;
  fsw: number;
  ftw: number; // abridged tag word as in FXSAVE
  fop: number;
  fip: bigint;
  fdp: bigint;
  mxcsr: number;
  /** ST0-ST7, 10 bytes each (80-bit extended). */
  st: Uint8Array[];
  /** XMM0-XMM15, 16 bytes each. */
  xmm: Uint8Array[];
}

/** The full vCPU state a debugger or crash dump needs. */
export interface Registers {
  rax: bigint; rbx: bigint; rcx: bigint; rdx: bigint;
  rsi: bigint; rdi: bigint; rbp: bigint; rsp: bigint;
  r8: bigint; r9: bigint; r10: bigint; r11: bigint;
  r12: bigint; r13: bigint; r14: bigint; r15: bigint;
  rip: bigint; rflags: bigint;
  cs: SegmentRegister; ds: SegmentRegister; es: SegmentRegister;
  fs: SegmentRegister; gs: SegmentRegister; ss: SegmentRegister;
  cr0: bigint; cr2: bigint; cr3: bigint; cr4: bigint; efer: bigint;
  fpu: FpuState;
}

/** A region of guest memory as the guest sees it (identity-mapped). */
export interface MemoryRegion {
  readonly name: string; // 'image', 'peb', 'input', 'output', 'heap', 'stack', 'exception-stack', ...
  readonly address: bigint;
  readonly size: number;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly executable: boolean;
}

export type MemoryAccess = 'read' | 'write' | 'fetch';

/** A CPU exception raised by the guest, decoded. */
export interface GuestFault {
  readonly vector: number;
  /** e.g. '#PF' */
  readonly mnemonic: string;
  /** e.g. 'page fault' */
  readonly exceptionName: string;
  readonly errorCode: number;
  /** Faulting address for #PF (CR2), otherwise undefined. */
  readonly faultAddress?: bigint;
  readonly access?: MemoryAccess;
  readonly rip: bigint;
  /** Registers at the faulting instruction (as the CPU saw them before delivering the exception). */
  readonly registers: Registers;
  /** Raw return addresses, innermost first, starting with RIP. */
  readonly backtrace: bigint[];
  /** Guest function containing RIP, from the ELF symbol table, when known. */
  readonly functionName?: string;
  readonly stackOverflow: boolean;
  readonly nullDereference: boolean;
  /** One line in words: 'null pointer dereference: read of address 0x0 at RIP 0x10002a in DerefNull'. */
  readonly description: string;
}

/** One host function invocation made by the guest during a call. */
export interface HostCallRecord {
  readonly function: string;
  readonly args: GuestValue[];
  readonly result?: GuestValue;
  readonly error?: string;
  readonly durationUs: number;
}

export interface CallResult {
  readonly value: GuestValue;
  /** Everything the guest printed through HostPrint during the call. */
  readonly output: string;
  readonly hostCalls: HostCallRecord[];
  readonly durationUs: number;
}

/**
 * A guest ELF the caller has already read: its bytes, and the file they came from. Sandbox.create
 * and inspectGuest use the bytes without reading the file again; crash dumps are named after the
 * file and record its path, as for a guest given by path.
 */
export interface GuestFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface SandboxOptions {
  /** Guest memory size in bytes (multiple of 4096, at most 256 MiB). Default 2 MiB. */
  memorySize?: number;
  /** Input buffer size (host → guest). Default 64 KiB. */
  inputBufferSize?: number;
  /** Output buffer size (guest → host). Default 64 KiB. */
  outputBufferSize?: number;
  /** Guest stack size. Default 64 KiB. */
  stackSize?: number;
  /** Per-call timeout in milliseconds. Default 5000. */
  timeoutMs?: number;
  /** Host functions in addition to the built-in HostPrint. */
  hostFunctions?: HostFunction[];
  /** Write an ELF core file into this directory when a call faults. */
  crashDumpDir?: string;
  /**
   * Called with each chunk the guest prints through HostPrint, in order. HostPrint is answered by
   * the engine itself, so a chunk reaches onPrint when the guest next needs the host or returns,
   * and never more than about 1 ms after it was printed.
   */
  onPrint?: (text: string) => void;
  /**
   * How long (µs) the async call() runs the guest on the calling thread before it hands the call
   * to the sandbox's vCPU thread. Short calls then cost no thread hand-off at all; a longer call
   * blocks the event loop for at most this long at a time. 0 runs every call on the vCPU thread.
   * Default 1000.
   */
  inlineSliceUs?: number;
}

export type ErrorCode =
  | 'ELF_INVALID'          // the guest ELF is malformed or unsupported
  | 'KVM_UNAVAILABLE'      // /dev/kvm missing, inaccessible, or wrong API version
  | 'OUT_OF_MEMORY'        // host could not allocate guest memory
  | 'INVALID_OPTIONS'      // bad SandboxOptions
  | 'UNKNOWN_FUNCTION'     // no such guest function
  | 'BAD_ARGUMENTS'        // wrong argument count or types, or too large for the input buffer
  | 'GUEST_FAULT'          // CPU exception in the guest
  | 'GUEST_ABORT'          // the guest called abort()/assert failed
  | 'WASM_TRAP'            // a Wasm guest trapped (details.wasmTrap: the trap and the Wasm function)
  | 'WASM_INVALID'         // a Wasm module is malformed, invalid or uses what the translator does not support
  | 'TIMEOUT'              // the call ran past its deadline
  | 'BAD_HOST_CALL'        // malformed host-call or return record from the guest
  | 'HOST_FUNCTION_ERROR'  // a host function threw or rejected
  | 'UNEXPECTED_EXIT'      // the guest left the VM in a way the ABI does not allow (hlt, unknown port, MMIO, shutdown)
  | 'SANDBOX_DISPOSED'     // the sandbox was disposed
  | 'SANDBOX_BUSY'         // a call is already running on this sandbox
  | 'UNMAPPED'             // a debugger read or write of guest memory that is not mapped
  | 'UNSUPPORTED'          // a debugger feature this KVM host cannot provide
  | 'CANCELLED'            // a debug call was ended before it finished
  | 'INTERNAL';            // a host-side failure (an ioctl failed)
