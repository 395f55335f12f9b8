// The machine a stop shows: registers and memory of a live debug call, or of a core file. The
// runtime inspects both alike; only a live machine can be written.
import type { CoreRegisters } from '../../../native/lib/coredump';
import { MicroVmError } from '../../../native/lib/errors';
import type { DebugCall, RegisterWrites, Registers } from '../../../native/lib';
import type { Memory } from '../unwind';

export type MachineRegisters = Registers | CoreRegisters;

export interface StoppedMachine extends Memory {
  readonly registers: MachineRegisters;
  /** Reads guest memory or throws a MicroVmError that says why (unmapped, not in the core). */
  readMemory(address: bigint, length: number): Uint8Array;
  /** Why writes are refused, when they are (a core file). */
  readonly readOnlyReason: string | undefined;
  writeMemory(address: bigint, data: Uint8Array): void;
  writeRegisters(writes: RegisterWrites): void;
}

/** A stopped debug call. Registers are the call's (at an exception: at the faulting instruction). */
export class LiveMachine implements StoppedMachine {
  readonly readOnlyReason = undefined;

  constructor(private readonly call: DebugCall) {}

  get registers(): Registers {
    return this.call.registers();
  }

  read(address: bigint, length: number): Uint8Array | undefined {
    try {
      return this.call.readMemory(address, length);
    } catch {
      return undefined;
    }
  }

  readMemory(address: bigint, length: number): Uint8Array {
    return this.call.readMemory(address, length);
  }

  writeMemory(address: bigint, data: Uint8Array): void {
    this.call.writeMemory(address, data);
  }

  writeRegisters(writes: RegisterWrites): void {
    this.call.setRegisters(writes);
  }
}

/** The state a core file froze: read-only. */
export class CoreMachine implements StoppedMachine {
  readonly readOnlyReason = 'this is a post-mortem session on a core file, which is read-only';

  constructor(
    readonly registers: CoreRegisters,
    private readonly memory: Memory,
  ) {}

  read(address: bigint, length: number): Uint8Array | undefined {
    return this.memory.read(address, length);
  }

  readMemory(address: bigint, length: number): Uint8Array {
    const bytes = this.memory.read(address, length);
    if (!bytes) throw new MicroVmError('UNMAPPED', `cannot read ${length} bytes at 0x${address.toString(16)}: the core file holds no memory there`);
    return bytes;
  }

  writeMemory(): void {
    throw new MicroVmError('UNSUPPORTED', `cannot write memory: ${this.readOnlyReason}`);
  }

  writeRegisters(): void {
    throw new MicroVmError('UNSUPPORTED', `cannot write registers: ${this.readOnlyReason}`);
  }
}

/** A machine whose writes are followed by `changed` (so that views computed before are dropped). */
export class RewindingMachine implements StoppedMachine {
  constructor(
    private readonly inner: StoppedMachine,
    private readonly changed: () => void,
  ) {}

  get registers(): MachineRegisters {
    return this.inner.registers;
  }

  get readOnlyReason(): string | undefined {
    return this.inner.readOnlyReason;
  }

  read(address: bigint, length: number): Uint8Array | undefined {
    return this.inner.read(address, length);
  }

  readMemory(address: bigint, length: number): Uint8Array {
    return this.inner.readMemory(address, length);
  }

  writeMemory(address: bigint, data: Uint8Array): void {
    this.inner.writeMemory(address, data);
    this.changed();
  }

  writeRegisters(writes: RegisterWrites): void {
    this.inner.writeRegisters(writes);
    this.changed();
  }
}
