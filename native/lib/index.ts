// The micro-VM host API: run guest functions in KVM micro-VMs. See docs/guest-abi.md.
export * from './types';
export { MicroVmError, isMicroVmError } from './errors';
export type { MicroVmErrorDetails } from './errors';
export { Sandbox, inspectGuest, liveSandboxCount, checkKvm } from './sandbox';
export type { DebugCall, DebugCallState, DebugStop, WatchAccess } from './debug-call';
export type { RegisterWrites } from './addon';
export { formatSignature } from './values';
