// One guest call as a state machine over VM exits: host calls are answered, the return record is
// decoded, and every way a call can fail becomes a precise MicroVmError. It is shared by the sync
// and async drivers in sandbox.ts, which differ only in how they run the vCPU.
import type { NativeOutcome, NativeSandbox, ServedHostCall } from './addon';
import { MicroVmError } from './errors';
import { HostFunctionRegistry } from './host-functions';
import {
  CALL_HEADER_SIZE, OutputRecord, RESULT_DATA_OFFSET, decodeAbort, decodeHostCall, decodeResult, encodeHostReply, recordTotal,
} from './records';
import type { CallResult, FunctionSignature, GuestValue, HostCallRecord, HostFunction } from './types';
import { valueProblem } from './values';
import type { SandboxInternals } from './sandbox-internals';

// Most records fit in this many bytes, so one copy out of the VM reads them whole.
export const SMALL_RECORD = 256;

/** A host call the guest asked for: which function, with which arguments. */
export interface HostCallRequest {
  readonly name: string;
  readonly args: GuestValue[];
  readonly fn: HostFunction;
}

export type Step =
  | { kind: 'run' }
  | { kind: 'pending'; promise: Promise<GuestValue>; finish: (value: GuestValue) => void; fail: (error: unknown) => never }
  | { kind: 'done'; result: CallResult };

export class CallSession {
  readonly hostCalls: HostCallRecord[] = [];
  /** The start of the output buffer as the last runSync copied it, for this step only. */
  private outputPrefix: Uint8Array | undefined;
  private output = '';
  private readonly started = process.hrtime.bigint();
  /** Time a debugger held the call stopped, left out of its duration. */
  private stoppedNs = 0n;

  constructor(
    private readonly sandbox: SandboxInternals,
    /** undefined during initialisation */
    private readonly signature: FunctionSignature | undefined,
    private readonly timeoutMs: number,
  ) {}

  get native(): NativeSandbox {
    return this.sandbox.native;
  }

  /** Everything the guest printed so far. */
  get printed(): string {
    return this.output;
  }

  /** Leaves time the call spent stopped in a debugger out of its duration. */
  excludeStopped(ns: bigint): void {
    this.stoppedNs += ns;
  }

  print(text: string): void {
    this.output += text;
    this.sandbox.onPrint?.(text);
  }

  private failure(error: MicroVmError): MicroVmError {
    Object.assign(error.details, { hostCalls: this.hostCalls, output: this.output, functionName: this.signature?.name });
    return error;
  }

  private get what(): string {
    return this.signature ? `guest function ${this.signature.name}` : 'guest initialisation';
  }

  /** Decides what follows an exit: run again, wait for an async host function, or finish. */
  step(outcome: NativeOutcome, allowAsync: boolean): Step {
    this.accept(outcome);
    switch (outcome.kind) {
      case 'host-call':
        return this.answer(this.hostCallRequest(), allowAsync);
      case 'ready':
        return { kind: 'done', result: this.finish() };
      case 'abort': {
        const header = this.native.readOutput(16);
        const length = new DataView(header.buffer, header.byteOffset, 16).getUint32(8, true);
        const record = new OutputRecord(this.native.readOutput(16 + length), this.sandbox.layout.outputAddress, `abort record of ${this.what}`);
        const { code, message } = decodeAbort(record);
        throw this.failure(new MicroVmError('GUEST_ABORT', `${this.what} aborted (code ${code}): ${message}`));
      }
      case 'exception':
        throw this.failure(this.sandbox.faultError(outcome, this.what, this.hostCalls));
      case 'timeout': {
        const fn = this.sandbox.functionAt(outcome.rip);
        throw this.failure(new MicroVmError('TIMEOUT',
          `${this.what} did not finish within ${this.timeoutMs} ms; stopped at RIP 0x${outcome.rip.toString(16)}${fn ? ` in ${fn}` : ''}`));
      }
      case 'sliced':
      case 'paused':
      case 'breakpoint':
      case 'watchpoint':
      case 'step':
        throw this.failure(new MicroVmError('INTERNAL', `${this.what} stopped (${outcome.kind}), but this call is not being debugged`));
      case 'shutdown':
      case 'unexpected-exit': {
        const fn = this.sandbox.functionAt(outcome.rip);
        throw this.failure(new MicroVmError('UNEXPECTED_EXIT',
          `${this.what}: ${outcome.detail ?? outcome.kind}${fn && outcome.kind === 'unexpected-exit' ? ` (in ${fn})` : ''}`));
      }
    }
  }

  /**
   * Takes in what an exit brings besides its kind: the host calls the engine served before it and
   * the copied start of the output buffer. `step` does this itself; a debugger that looks at a
   * host call before answering it calls this first.
   */
  accept(outcome: NativeOutcome): void {
    if (outcome.served) this.recordServed(outcome.served);
    this.outputPrefix = outcome.outputPrefixBytes === undefined ? undefined : this.sandbox.outputPrefix.subarray(0, outcome.outputPrefixBytes);
  }

  /**
   * HostPrint calls the engine answered before this exit: the same output, onPrint calls and
   * trace records as if JavaScript had answered them, in the order they were made.
   */
  private recordServed(served: readonly ServedHostCall[]): void {
    const print = this.sandbox.hostFunctions.get('HostPrint')!;
    for (const call of served) {
      let result: GuestValue;
      try {
        result = print.implementation(call.text) as GuestValue;
      } catch (error) {
        this.hostFunctionThrew('HostPrint', [call.text], error, call.durationUs);
      }
      this.hostCalls.push({ function: 'HostPrint', args: [call.text], result, durationUs: call.durationUs });
    }
  }

  /** Records a host function's failure in the trace and fails the call with it. */
  private hostFunctionThrew(name: string, args: GuestValue[], error: unknown, durationUs: number): never {
    const message = error instanceof Error ? error.message : String(error);
    this.hostCalls.push({ function: name, args, error: message, durationUs });
    throw this.failure(new MicroVmError('HOST_FUNCTION_ERROR', `host function ${name} threw: ${message}`));
  }

  /** The record at the start of the output buffer, read in one go when it is small. */
  private readRecord(totalOffset: number, minimum: number, what: string): Uint8Array {
    const layout = this.sandbox.layout;
    // Records are decoded (strings and bytes copied out) before the next run reuses the prefix.
    const prefix = this.outputPrefix ?? this.native.readOutput(Math.min(SMALL_RECORD, layout.outputSize));
    const total = recordTotal(new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength), totalOffset, layout.outputSize, what, minimum);
    return total <= prefix.length ? prefix.subarray(0, total) : this.native.readOutput(total);
  }

  /**
   * The host call a 'host-call' exit asks for, decoded and checked against the registered host
   * function, not yet answered. Throws the call's failure when the record or the call is bad.
   */
  hostCallRequest(): HostCallRequest {
    const layout = this.sandbox.layout;
    let call;
    try {
      const what = `host-call record from ${this.what}`;
      call = decodeHostCall(new OutputRecord(this.readRecord(4, CALL_HEADER_SIZE, what), layout.outputAddress, what));
    } catch (error) {
      throw error instanceof MicroVmError ? this.failure(error) : error;
    }
    const fn = this.sandbox.hostFunctions.get(call.name);
    if (!fn) {
      throw this.failure(new MicroVmError('BAD_HOST_CALL',
        `${this.what} called unknown host function ${call.name}; registered: ${this.sandbox.hostFunctions.names().join(', ')}`));
    }
    const shown = HostFunctionRegistry.signature(fn);
    if (call.argTypes.length !== fn.paramTypes.length || call.argTypes.some((t, i) => t !== fn.paramTypes[i])) {
      throw this.failure(new MicroVmError('BAD_HOST_CALL',
        `${this.what} called ${call.name}(${call.argTypes.join(', ')}), but the host function is ${shown}`));
    }
    if (call.expectedReturn !== fn.returnType) {
      throw this.failure(new MicroVmError('BAD_HOST_CALL',
        `${this.what} expects ${call.name} to return ${call.expectedReturn}, but the host function is ${shown}`));
    }
    return { name: call.name, args: call.args, fn };
  }

  /** Runs the host function of a request and writes its reply (now, or when its Promise settles). */
  answer(call: HostCallRequest, allowAsync: boolean): Step {
    const layout = this.sandbox.layout;
    const { fn } = call;
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1000;
    const fail = (error: unknown): never => this.hostFunctionThrew(call.name, call.args, error, elapsed());
    const finish = (value: GuestValue): void => {
      const problem = valueProblem(fn.returnType, value);
      if (problem) fail(new Error(`returned a bad value: ${problem}`));
      let reply: Uint8Array;
      try {
        reply = encodeHostReply(fn.returnType, value, layout.outputAddress, layout.outputSize, call.name);
      } catch (error) {
        fail(error);
      }
      this.native.writeOutput(reply!);
      this.hostCalls.push({ function: call.name, args: call.args, result: value, durationUs: elapsed() });
    };

    let value: GuestValue | Promise<GuestValue>;
    try {
      value = fn.implementation(...call.args);
    } catch (error) {
      return fail(error);
    }
    if (value instanceof Promise) {
      if (!allowAsync) {
        value.catch(() => undefined);
        fail(new Error('returned a Promise, which only the async call() can wait for; use call() or make it synchronous'));
      }
      return { kind: 'pending', promise: value as Promise<GuestValue>, finish, fail };
    }
    finish(value);
    return { kind: 'run' };
  }

  private finish(): CallResult {
    const durationUs = Number(process.hrtime.bigint() - this.started - this.stoppedNs) / 1000;
    if (!this.signature) return { value: undefined, output: this.output, hostCalls: this.hostCalls, durationUs };
    const layout = this.sandbox.layout;
    const what = `return record of ${this.signature.name}`;
    let decoded;
    try {
      decoded = decodeResult(new OutputRecord(this.readRecord(8, RESULT_DATA_OFFSET, what), layout.outputAddress, what), this.signature);
    } catch (error) {
      throw error instanceof MicroVmError ? this.failure(error) : error;
    }
    if (!decoded.ok) {
      const code = decoded.status === 1 ? 'UNKNOWN_FUNCTION' : 'BAD_ARGUMENTS';
      throw this.failure(new MicroVmError(code, `guest rejected the call to ${this.signature.name}: ${decoded.message}`));
    }
    return { value: decoded.value, output: this.output, hostCalls: this.hostCalls, durationUs };
  }
}
