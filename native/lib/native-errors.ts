// Errors thrown by the addon carry a `code` from ErrorCode; above the addon they are MicroVmErrors.
import { MicroVmError } from './errors';

/** Converts an error thrown by the addon (an Error with a `code`) into a MicroVmError. */
export function fromNativeError(error: unknown, prefix = ''): MicroVmError {
  if (error instanceof MicroVmError) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const known = typeof code === 'string' ? code : 'INTERNAL';
  return new MicroVmError(known as MicroVmError['code'], prefix + message);
}

/** Runs `body`, turning what the addon throws into a MicroVmError. */
export function nativeCall<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    throw fromNativeError(error);
  }
}
