// What a CallSession or a DebugCall needs from its sandbox, kept as an interface so that they
// don't import each other and the addon handle stays out of the Sandbox's public surface.
import type { NativeLayout, NativeOutcome, NativeSandbox } from './addon';
import type { MicroVmError } from './errors';
import type { HostFunctionRegistry } from './host-functions';
import type { HostCallRecord } from './types';

export interface SandboxInternals {
  readonly native: NativeSandbox;
  readonly layout: NativeLayout;
  readonly hostFunctions: HostFunctionRegistry;
  readonly onPrint?: (text: string) => void;
  /** Where runSync copies the start of the output buffer (NativeOutcome.outputPrefixBytes). */
  readonly outputPrefix: Uint8Array;
  functionAt(address: bigint): string | undefined;
  /** Builds the GUEST_FAULT error for an exception outcome, writing a crash dump when configured. */
  faultError(outcome: NativeOutcome, what: string, hostCalls: readonly HostCallRecord[]): MicroVmError;
}
