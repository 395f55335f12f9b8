// The micro-VM host API: run guest functions in KVM micro-VMs. See docs/guest-abi.md.
export * from './types';
export { MicroVmError, isMicroVmError } from './errors';
export type { MicroVmErrorDetails } from './errors';
export { Sandbox, inspectGuest, liveSandboxCount, checkKvm } from './sandbox';
export { formatSignature } from './values';
