// How a call's guest code runs without blocking the event loop for long: first on the calling
// thread for at most a slice, then, if the guest is still running, on the sandbox's vCPU thread.
// Shared by the async call() and by debug calls.
import type { NativeOutcome, NativeSandbox } from './addon';
import { fromNativeError } from './native-errors';

/** Restores if due and begins a call on the vCPU thread, before its first run there. */
export interface RunPrologue {
  readonly timeoutMs: number;
  readonly input: Uint8Array;
}

/** One run on the vCPU thread. */
export function runOnVcpuThread(native: NativeSandbox, prologue?: RunPrologue): Promise<NativeOutcome> {
  return new Promise((resolve, reject) => {
    try {
      native.runAsync((error, outcome) => (error ? reject(fromNativeError(error)) : resolve(outcome!)), prologue);
    } catch (error) {
      reject(fromNativeError(error));
    }
  });
}

/**
 * One run: inline for up to `sliceUs`, then (or at once, with a prologue or without slices) on
 * the vCPU thread. `outputPrefix` receives the start of the output buffer after an inline exit.
 */
export async function runSliced(native: NativeSandbox, sliceUs: number, outputPrefix: Uint8Array, prologue?: RunPrologue): Promise<NativeOutcome> {
  if (sliceUs === 0 || prologue) return runOnVcpuThread(native, prologue);
  let outcome: NativeOutcome;
  try {
    outcome = native.runSync(sliceUs, outputPrefix);
  } catch (error) {
    throw fromNativeError(error);
  }
  if (outcome.kind !== 'sliced') return outcome;
  // Prints served before the slice ran out belong before whatever the thread run brings.
  const next = await runOnVcpuThread(native);
  if (outcome.served) next.served = next.served ? [...outcome.served, ...next.served] : outcome.served;
  return next;
}
