// Errors as one line of text and as the error object of the JSON front ends.
import { isMicroVmError } from '../errors';
import { faultToJson, type FaultJson } from './faults';
import { hostCallToJson, type HostCallJson } from './results';

/**
 * The error object every JSON front end emits (the CLI as `error` of `{ ok: false, error }`, the
 * demo server flattened into its response body). Optional fields are absent when unknown.
 */
export interface ErrorJson {
  /** A MicroVmError code, or ERROR for any other failure. */
  readonly code: string;
  readonly message: string;
  /** The guest function that was being called. */
  readonly function?: string;
  readonly fault?: FaultJson;
  readonly crashDumpPath?: string;
  /** What the guest printed before the failure. */
  readonly output?: string;
  readonly hostCalls?: HostCallJson[];
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

export function errorDetailsToJson(err: unknown): ErrorJson {
  if (!isMicroVmError(err)) return { code: 'ERROR', message: formatError(err) };
  const { fault, crashDumpPath, output, hostCalls, functionName } = err.details;
  return {
    code: err.code,
    message: oneLine(err.message),
    ...(functionName !== undefined && { function: functionName }),
    ...(fault !== undefined && { fault: faultToJson(fault) }),
    ...(crashDumpPath !== undefined && { crashDumpPath }),
    ...(output !== undefined && { output }),
    ...(hostCalls !== undefined && { hostCalls: hostCalls.map(hostCallToJson) }),
  };
}

/** What `microvm run --json` prints for a call that failed. */
export interface FailureJson {
  readonly ok: false;
  readonly error: ErrorJson;
}

export function errorToJson(err: unknown): FailureJson {
  return { ok: false, error: errorDetailsToJson(err) };
}
