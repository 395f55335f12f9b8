// What a debug session runs, once its configuration has been checked: a guest function called in
// a live micro-VM, or a core file opened post-mortem.
import type { GuestValue, HostFunction } from '../../../native/lib';

export interface LiveLaunch {
  readonly kind: 'live';
  /** Absolute path of the guest ELF. */
  readonly program: string;
  readonly functionName: string;
  readonly args: readonly GuestValue[];
  readonly stopOnEntry: boolean;
  readonly timeoutMs?: number;
  readonly memorySize?: number;
  readonly crashDumpDir?: string;
  readonly hostFunctions: readonly HostFunction[];
}

export interface PostMortemLaunch {
  readonly kind: 'post-mortem';
  readonly program: string;
  /** Absolute path of the core file. */
  readonly coreDump: string;
}

export type LaunchPlan = LiveLaunch | PostMortemLaunch;
