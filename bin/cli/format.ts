// Pure text and JSON renderings of signatures, values, results and errors for the CLI and extension.
import type { CallResult, FunctionSignature, GuestFault, GuestValue, HostCallRecord, ValueType } from '../../native/lib/types';
import { isMicroVmError } from '../../native/lib/errors';

/** `PrintOutput(string) -> i32` */
export function formatSignature(sig: FunctionSignature): string {
  return `${sig.name}(${sig.paramTypes.join(', ')}) -> ${sig.returnType}`;
}

export function toHex(bytes: Uint8Array): string {
  return '0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function formatAddress(address: bigint): string {
  return '0x' + address.toString(16);
}

/** The shortest decimal that reads back as the same f32, so 0.1f prints as 0.1, not 0.10000000149011612. */
export function formatF32(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  for (let precision = 1; precision <= 9; precision++) {
    const text = value.toPrecision(precision);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  return String(value);
}

/** `850 µs`, `3.61 ms`, `1.20 s`: durations the way the demo and the extension show them. */
export function formatDuration(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toPrecision(3)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** A value as a person reads it: strings quoted, bytes as hex, void as `(void)`. */
export function formatValue(value: GuestValue, type?: ValueType): string {
  if (value === undefined || type === 'void') return '(void)';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'number' && type === 'f32') return formatF32(value);
  return String(value);
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A value JSON can carry without loss: i64/u64 as decimal strings (JSON numbers lose precision
 * past 2^53 in most readers), bytes as 0x hex, NaN/±Infinity as strings, void as null.
 */
export function toJsonValue(value: GuestValue): JsonValue {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

function hostCallJson(call: HostCallRecord): JsonValue {
  const out: { [key: string]: JsonValue } = {
    function: call.function,
    args: call.args.map(toJsonValue),
    durationUs: call.durationUs,
  };
  if (call.error !== undefined) out.error = call.error;
  else out.result = toJsonValue(call.result);
  return out;
}

export function resultToJson(sig: FunctionSignature, result: CallResult): JsonValue {
  return {
    ok: true,
    function: sig.name,
    returnType: sig.returnType,
    value: toJsonValue(result.value),
    output: result.output,
    hostCalls: result.hostCalls.map(hostCallJson),
    durationUs: result.durationUs,
  };
}

export function signatureToJson(sig: FunctionSignature): JsonValue {
  return { name: sig.name, returnType: sig.returnType, paramTypes: [...sig.paramTypes] };
}

function faultToJson(fault: GuestFault): JsonValue {
  const out: { [key: string]: JsonValue } = {
    vector: fault.vector,
    mnemonic: fault.mnemonic,
    exceptionName: fault.exceptionName,
    errorCode: fault.errorCode,
    rip: formatAddress(fault.rip),
    backtrace: fault.backtrace.map(formatAddress),
    stackOverflow: fault.stackOverflow,
    nullDereference: fault.nullDereference,
    description: fault.description,
  };
  if (fault.faultAddress !== undefined) out.faultAddress = formatAddress(fault.faultAddress);
  if (fault.access !== undefined) out.access = fault.access;
  if (fault.functionName !== undefined) out.functionName = fault.functionName;
  return out;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** `GUEST_FAULT: ... null pointer dereference ... (crash dump: /x/guest.core)`, on one line. */
export function formatError(err: unknown): string {
  if (isMicroVmError(err)) {
    const message = oneLine(err.message);
    const path = err.details.crashDumpPath;
    // The host API already names the dump in its message; add it only where it does not.
    const dump = path && !message.includes(path) ? ` (crash dump: ${path})` : '';
    return `${err.code}: ${message}${dump}`;
  }
  // Other errors (a compiler's diagnostics, say) keep their lines.
  return (err instanceof Error ? err.message : String(err)).trimEnd();
}

export function errorToJson(err: unknown): JsonValue {
  if (!isMicroVmError(err)) return { ok: false, error: { code: 'ERROR', message: formatError(err) } };
  const error: { [key: string]: JsonValue } = { code: err.code, message: oneLine(err.message) };
  const { fault, crashDumpPath, output, hostCalls, functionName } = err.details;
  if (functionName !== undefined) error.function = functionName;
  if (fault !== undefined) error.fault = faultToJson(fault);
  if (crashDumpPath !== undefined) error.crashDumpPath = crashDumpPath;
  if (output !== undefined) error.output = output;
  if (hostCalls !== undefined) error.hostCalls = hostCalls.map(hostCallJson);
  return { ok: false, error };
}

/** Several lines describing a fault for the demo transcript and the extension's output channel. */
export function describeFault(fault: GuestFault): string[] {
  const lines = [`${fault.mnemonic} ${fault.exceptionName} (vector ${fault.vector}, error code ${fault.errorCode})`];
  if (fault.faultAddress !== undefined) {
    lines.push(`${fault.access ?? 'access'} of address ${formatAddress(fault.faultAddress)}`);
  }
  lines.push(`at RIP ${formatAddress(fault.rip)}${fault.functionName ? ` in ${fault.functionName}` : ''}`);
  if (fault.backtrace.length > 0) lines.push(`backtrace: ${fault.backtrace.map(formatAddress).join(' <- ')}`);
  return lines;
}
