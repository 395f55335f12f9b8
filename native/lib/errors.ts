import type { ErrorCode, GuestFault, HostCallRecord } from './types';

/** A trap of a Wasm guest (docs/wasm-guests.md, "Traps"). */
export interface WasmTrapDetails {
  /** e.g. 'integer-divide-by-zero', 'out-of-bounds-memory-access', 'unreachable'. */
  readonly trap: string;
  /** The Wasm function that trapped, by its name in the module (else `func[N]`). */
  readonly wasmFunction: string;
  readonly functionIndex: number;
  /** Byte offset of the trapping instruction in the module file. */
  readonly offset: number;
  /** Its source line, from the module's DWARF, when it has one. */
  readonly file?: string;
  readonly line?: number;
}

export interface MicroVmErrorDetails {
  fault?: GuestFault;
  /** Path of the ELF core file written for this failure, if any. */
  crashDumpPath?: string;
  /** Host calls the guest made before the failure. */
  hostCalls?: HostCallRecord[];
  /** What the guest printed before the failure. */
  output?: string;
  /** The guest function being called, when the error concerns a call. */
  functionName?: string;
  /** A Wasm guest's trap (code WASM_TRAP). */
  wasmTrap?: WasmTrapDetails;
}

/** Every error the micro-VM host raises: `code` says which class, `message` says precisely what. */
export class MicroVmError extends Error {
  readonly code: ErrorCode;
  readonly details: MicroVmErrorDetails;

  constructor(code: ErrorCode, message: string, details: MicroVmErrorDetails = {}) {
    super(message);
    this.name = 'MicroVmError';
    this.code = code;
    this.details = details;
  }

  get fault(): GuestFault | undefined {
    return this.details.fault;
  }

  get crashDumpPath(): string | undefined {
    return this.details.crashDumpPath;
  }
}

export function isMicroVmError(value: unknown): value is MicroVmError {
  return value instanceof MicroVmError;
}
