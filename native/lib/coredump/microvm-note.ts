// Our own core note: owner "MICROVM", type 0x4d560001 ("MV" + 1), descriptor = UTF-8 JSON with the
// fault details gdb has no place for (exception vector and name, error code, host-call trace, ...).
import type { GuestFault, HostCallRecord } from '../types';
import { CoreFormatError } from './errors';

export const MICROVM_NOTE_NAME = 'MICROVM';
export const NT_MICROVM_FAULT = 0x4d560001;
/** Version of the note's JSON layout; bump when a field changes meaning. */
export const MICROVM_NOTE_VERSION = 1;

function hexString(value: bigint): string {
  return value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}

/**
 * The note's JSON text of any value: bigints become "0x…" strings and byte arrays
 * {"$bytes": "<hex>"} (JSON has neither); undefined fields are left out. `microvm core --json`
 * writes its summary with it too, so both spell registers and bytes alike.
 */
export function encodeNoteJson(value: unknown, space?: number): string {
  return JSON.stringify(value, function (this: unknown, key: string, item: unknown): unknown {
    // Read the raw value: Buffer's toJSON would already have turned it into {type, data}.
    const raw = key === '' ? item : (this as Record<string, unknown>)[key];
    if (typeof raw === 'bigint') return hexString(raw);
    if (raw instanceof Uint8Array) return { $bytes: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('hex') };
    return item;
  }, space);
}

/** The note descriptor: encodeNoteJson's text as UTF-8. */
export function encodeMicroVmNote(details: Record<string, unknown>): Uint8Array {
  return Buffer.from(encodeNoteJson(details), 'utf8');
}

export function decodeMicroVmNote(desc: Uint8Array): Record<string, unknown> {
  const text = Buffer.from(desc.buffer, desc.byteOffset, desc.byteLength).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CoreFormatError(`the ${MICROVM_NOTE_NAME} note is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CoreFormatError(`the ${MICROVM_NOTE_NAME} note is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

export interface FaultNoteContext {
  /** What was being called, e.g. `guest function Add`. */
  readonly call?: string;
  readonly hostCalls?: readonly HostCallRecord[];
  readonly abiVersion?: number;
}

/** The standard payload for a guest fault, with the field names docs/crash-dump.md lists. */
export function faultNoteDetails(fault: GuestFault, context: FaultNoteContext = {}): Record<string, unknown> {
  return {
    noteVersion: MICROVM_NOTE_VERSION,
    abiVersion: context.abiVersion ?? 1,
    call: context.call,
    vector: fault.vector,
    mnemonic: fault.mnemonic,
    exception: fault.exceptionName,
    errorCode: fault.errorCode,
    faultAddress: fault.faultAddress,
    access: fault.access,
    rip: fault.rip,
    function: fault.functionName,
    description: fault.description,
    stackOverflow: fault.stackOverflow,
    nullDereference: fault.nullDereference,
    backtrace: fault.backtrace,
    // gdb has no place for these in a Linux core, so they travel here.
    controlRegisters: {
      cr0: fault.registers.cr0, cr2: fault.registers.cr2, cr3: fault.registers.cr3, cr4: fault.registers.cr4, efer: fault.registers.efer,
    },
    hostCalls: context.hostCalls?.map((h) => ({ function: h.function, args: h.args, result: h.result, error: h.error, durationUs: h.durationUs })),
  };
}
