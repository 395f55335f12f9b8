// Run control over a live debug call, one level above the host API: every stop of the DebugCall is
// classified for the stepper and the runtime. A user breakpoint whose condition or hit count
// declines, a logpoint, and an exception whose filter is off never surface: the guest runs on.
import type { DebugCall, DebugCallState, DebugStop } from '../../../native/lib';
import type { MicroVmError } from '../../../native/lib/errors';
import { AddressPins, type BreakpointBook, type UserBreakpoint } from './breakpoints';
import { exceptionFilterOf } from './exceptions';
import { LiveMachine } from './machine';

export type StopReasonName =
  | 'entry' | 'step' | 'pause' | 'exception' | 'breakpoint' | 'function breakpoint' | 'instruction breakpoint' | 'data breakpoint';

/** A stop the user sees. */
export interface StopReport {
  readonly reason: StopReasonName;
  /** In words, e.g. `Paused on breakpoint`. */
  readonly description: string;
  readonly breakpointIds: readonly number[];
  readonly exception?: MicroVmError;
  /** A data breakpoint: the bytes before and after the write. */
  readonly watch?: { readonly address: bigint; readonly oldValue: Uint8Array; readonly newValue: Uint8Array };
  /** A host-function breakpoint: the call the guest is making. */
  readonly hostCall?: { readonly function: string; readonly args: readonly unknown[] };
}

export type Halt =
  /** One instruction executed (stepInstruction), nothing to report. */
  | { readonly kind: 'stepped' }
  /** The guest reached an address the stepper pinned. */
  | { readonly kind: 'pinned'; readonly address: bigint }
  | { readonly kind: 'report'; readonly stop: StopReport }
  | { readonly kind: 'ended'; readonly state: DebugCallState & { kind: 'finished' | 'failed' } };

/** Decides whether user breakpoints that were hit stop (conditions, hit counts, logpoints). */
export type BreakpointJudge = (hit: readonly UserBreakpoint[]) => Promise<boolean> | boolean;

export interface ExecutionHooks {
  readonly judge: BreakpointJudge;
  /** Exception filters that stop (by id). */
  readonly exceptionFilters: () => ReadonlySet<string>;
}

const KIND_REASON: Record<UserBreakpoint['kind'], StopReasonName> = {
  source: 'breakpoint',
  function: 'function breakpoint',
  instruction: 'instruction breakpoint',
  data: 'data breakpoint',
  'host-function': 'function breakpoint',
};

export class Execution {
  readonly pins: AddressPins;
  readonly machine: LiveMachine;
  private readonly temporary = new Set<bigint>();

  constructor(
    readonly call: DebugCall,
    private readonly book: BreakpointBook,
    private readonly hooks: ExecutionHooks,
  ) {
    this.pins = new AddressPins(async (address, set) => {
      // A call that is over has already removed every breakpoint it set.
      if (call.state.kind === 'finished' || call.state.kind === 'failed') return;
      await (set ? call.setBreakpoint(address) : call.removeBreakpoint(address));
    });
    this.machine = new LiveMachine(call);
  }

  get pc(): bigint {
    return this.call.registers().rip;
  }

  get rsp(): bigint {
    return this.call.registers().rsp;
  }

  /** A temporary stop for the stepper; `release` removes it. */
  async pinTemporary(address: bigint): Promise<void> {
    if (this.temporary.has(address)) return;
    this.temporary.add(address);
    await this.pins.pin(address);
  }

  async releaseTemporary(): Promise<void> {
    const addresses = [...this.temporary];
    this.temporary.clear();
    for (const address of addresses) await this.pins.unpin(address);
  }

  /** Executes one instruction. */
  async step(): Promise<Halt> {
    const state = await this.call.stepInstruction();
    return this.classify(state, true);
  }

  /** Runs to the next stop that matters. */
  async run(): Promise<Halt> {
    for (;;) {
      const halt = await this.classify(await this.call.continue(), false);
      if (halt) return halt;
    }
  }

  /** What a stop means; undefined: nothing to report, run on (only when `stepping` is false). */
  private async classify(state: DebugCallState, stepping: true): Promise<Halt>;
  private async classify(state: DebugCallState, stepping: false): Promise<Halt | undefined>;
  private async classify(state: DebugCallState, stepping: boolean): Promise<Halt | undefined> {
    if (state.kind === 'finished' || state.kind === 'failed') return { kind: 'ended', state };
    if (state.kind !== 'stopped') throw new Error(`the debug call is ${state.kind} after a run`);
    const stop: DebugStop = state.stop;
    switch (stop.reason) {
      case 'step':
        return { kind: 'stepped' };
      case 'entry':
      case 'pause':
        return { kind: 'report', stop: { reason: 'pause', description: 'Paused', breakpointIds: [] } };
      case 'breakpoint': {
        const hit = this.book.atAddress(stop.address);
        if (hit.length > 0 && (await this.hooks.judge(hit))) return this.reportBreakpoints(hit);
        if (this.temporary.has(stop.address)) return { kind: 'pinned', address: stop.address };
        return stepping ? { kind: 'stepped' } : undefined;
      }
      case 'watchpoint': {
        const hit = this.book.atWatchSlot(stop.slot);
        if (hit.length === 0 || !(await this.hooks.judge(hit))) return stepping ? { kind: 'stepped' } : undefined;
        return {
          kind: 'report',
          stop: {
            reason: 'data breakpoint',
            description: `Paused on data breakpoint: ${hit[0].watch?.description ?? 'watched memory'} was written`,
            breakpointIds: hit.map((bp) => bp.id),
            watch: { address: stop.address, oldValue: stop.oldValue, newValue: stop.newValue },
          },
        };
      }
      case 'host-call': {
        const hit = this.book.onHostFunction(stop.hostCall.function);
        if (hit.length === 0 || !(await this.hooks.judge(hit))) return stepping ? { kind: 'stepped' } : undefined;
        return {
          kind: 'report',
          stop: {
            reason: 'function breakpoint',
            description: `Paused before the host call ${stop.hostCall.function}`,
            breakpointIds: hit.map((bp) => bp.id),
            hostCall: stop.hostCall,
          },
        };
      }
      case 'exception': {
        if (!this.hooks.exceptionFilters().has(exceptionFilterOf(stop.error))) {
          // Not wanted: let the call end with its error.
          const end = await this.call.continue();
          return { kind: 'ended', state: end as DebugCallState & { kind: 'finished' | 'failed' } };
        }
        return { kind: 'report', stop: { reason: 'exception', description: `Paused on exception: ${stop.error.message}`, breakpointIds: [], exception: stop.error } };
      }
    }
  }

  /** User breakpoints at the pc right after a step: the stepper treats landing on one as hitting it. */
  async breakpointsAtPc(): Promise<Halt | undefined> {
    const hit = this.book.atAddress(this.pc);
    if (hit.length === 0 || !(await this.hooks.judge(hit))) return undefined;
    return this.reportBreakpoints(hit);
  }

  private reportBreakpoints(hit: readonly UserBreakpoint[]): Halt {
    const reason = KIND_REASON[hit[0].kind];
    return { kind: 'report', stop: { reason, description: `Paused on ${reason}`, breakpointIds: hit.map((bp) => bp.id) } };
  }
}
