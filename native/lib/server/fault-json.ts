// JSON bodies for failed calls: the structured fault with addresses as hex strings (JSON numbers
// cannot hold every 64-bit address).
import { isMicroVmError } from '../errors';
import { hex } from '../hex';
import type { GuestFault } from '../types';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };


export function faultJson(fault: GuestFault): Json {
  const out: { [key: string]: Json } = {
    description: fault.description,
    vector: fault.vector,
    mnemonic: fault.mnemonic,
    exception: fault.exceptionName,
    errorCode: fault.errorCode,
    rip: hex(fault.rip),
    backtrace: fault.backtrace.map(hex),
    nullDereference: fault.nullDereference,
    stackOverflow: fault.stackOverflow,
  };
  if (fault.faultAddress !== undefined) out.address = hex(fault.faultAddress);
  if (fault.access !== undefined) out.access = fault.access;
  if (fault.functionName !== undefined) out.function = fault.functionName;
  return out;
}

/** `{ error, message, fault? }` for any error a call can raise. */
export function errorJson(error: unknown): { [key: string]: Json } {
  if (!isMicroVmError(error)) return { error: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
  const out: { [key: string]: Json } = { error: error.code, message: error.message };
  if (error.details.functionName !== undefined) out.function = error.details.functionName;
  if (error.fault) out.fault = faultJson(error.fault);
  return out;
}
