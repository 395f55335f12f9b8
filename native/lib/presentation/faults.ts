// A GuestFault for people (lines of text) and for programs (the fault JSON every front end emits,
// documented in docs/crash-dump.md, "Fault JSON").
import { hex } from '../hex';
import type { GuestFault, MemoryAccess } from '../types';

/**
 * The fault JSON: GuestFault's own field names, with every address as a "0x…" string (JSON numbers
 * cannot hold every 64-bit address) and without the registers.
 */
export interface FaultJson {
  readonly vector: number;
  readonly mnemonic: string;
  readonly exceptionName: string;
  readonly errorCode: number;
  /** CR2 for #PF; absent otherwise. */
  readonly faultAddress?: string;
  readonly access?: MemoryAccess;
  readonly rip: string;
  readonly backtrace: string[];
  readonly functionName?: string;
  readonly stackOverflow: boolean;
  readonly nullDereference: boolean;
  readonly description: string;
}

export function faultToJson(fault: GuestFault): FaultJson {
  // Built field by field in the documented order; optional fields are left out, not null.
  return {
    vector: fault.vector,
    mnemonic: fault.mnemonic,
    exceptionName: fault.exceptionName,
    errorCode: fault.errorCode,
    ...(fault.faultAddress !== undefined && { faultAddress: hex(fault.faultAddress) }),
    ...(fault.access !== undefined && { access: fault.access }),
    rip: hex(fault.rip),
    backtrace: fault.backtrace.map(hex),
    ...(fault.functionName !== undefined && { functionName: fault.functionName }),
    stackOverflow: fault.stackOverflow,
    nullDereference: fault.nullDereference,
    description: fault.description,
  };
}

/** Several lines describing a fault, for the demo transcript and the extension's output channel. */
export function describeFault(fault: GuestFault): string[] {
  const lines = [`${fault.mnemonic} ${fault.exceptionName} (vector ${fault.vector}, error code ${fault.errorCode})`];
  if (fault.faultAddress !== undefined) lines.push(`${fault.access ?? 'access'} of address ${hex(fault.faultAddress)}`);
  lines.push(`at RIP ${hex(fault.rip)}${fault.functionName ? ` in ${fault.functionName}` : ''}`);
  if (fault.backtrace.length > 0) lines.push(`backtrace: ${fault.backtrace.map(hex).join(' <- ')}`);
  return lines;
}
