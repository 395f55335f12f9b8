// DebugRuntime: source-level debugging of one guest function call in a live micro-VM, or of a core
// file post-mortem. It knows no DAP types: requests are methods, and what happens is told through
// events ('stopped', 'output', 'breakpoint', 'ended'). The DAP session only translates.
import { EventEmitter } from 'node:events';
import { ElfFile } from '../../../native/lib/elf';
import { MicroVmError, isMicroVmError } from '../../../native/lib/errors';
import { checkKvm, Sandbox, type DebugCall, type DebugCallState } from '../../../native/lib';
import { readCoreStatus, readMicroVmNote } from '../../../native/lib/coredump';
import { hex } from '../../../native/lib/hex';
import { readInputFile } from '../../../native/lib/input-file';
import { formatDuration, formatError, formatValue } from '../../../native/lib/presentation';
import { ElfSegmentMemory, LayeredMemory } from '../unwind';
import { BreakpointBook, parseHitCondition, parseLogMessage, type BreakpointOptions, type UserBreakpoint } from './breakpoints';
import { BreakpointSetter, type DataBreakpointSpec } from './breakpoint-setter';
import { checkCoreMatchesProgram } from '../postmortem/core-match';
import { coreLoadBias } from '../postmortem/core-summary';
import { disassembleAround, type DisassembledLine } from './disassembly';
import { EXCEPTION_FILTERS, exceptionWords, noteExceptionWords, type ExceptionWords } from './exceptions';
import { Execution, type Halt, type StopReport } from './execution';
import type { LaunchPlan, LiveLaunch, PostMortemLaunch } from './launch-plan';
import { CoreMachine, RewindingMachine, type StoppedMachine } from './machine';
import { GuestProgram } from './program';
import { registerRows } from './registers-view';
import { StackView, type StackFrame } from './stack';
import { Stepper, type LineStep } from './stepping';
import { leaf, group, type VariableNode } from './variable-node';
import { FrameInspector, type ReturnValueSource, type Writers } from './frame-inspector';

export interface StoppedEvent extends StopReport {
  /** The exception in words, for an exception stop. */
  readonly text?: string;
}

export interface OutputEvent {
  readonly category: 'stdout' | 'console' | 'stderr';
  readonly text: string;
}

export interface EndedEvent {
  /** 0 when the call returned, 1 when it failed. */
  readonly exitCode: number;
}

export interface RuntimeEvents {
  stopped: [StoppedEvent];
  output: [OutputEvent];
  breakpoint: [UserBreakpoint];
  ended: [EndedEvent];
}

export type Granularity = 'line' | 'instruction';

export interface ScopeInfo {
  readonly name: string;
  readonly kind: 'locals' | 'globals' | 'registers' | 'host-calls' | 'return-value';
  readonly node: VariableNode;
  /** Fetching it costs more than a glance (globals of a big unit, every register). */
  readonly expensive: boolean;
}

export interface MemoryRead {
  readonly address: bigint;
  readonly data: Uint8Array;
  /** Bytes after `data` that could not be read. */
  readonly unreadable: number;
}

export interface DataBreakpointTarget {
  readonly dataId: string;
  readonly description: string;
  readonly accessTypes: ReadonlyArray<'write' | 'readWrite'>;
}

interface StopView {
  readonly report: StopReport;
  readonly machine: StoppedMachine;
  readonly stack: StackView;
  readonly exception?: ExceptionWords;
  readonly returnValue?: ReturnValueSource;
}

/** Thrown for a request the user's situation does not allow (running, ended, post-mortem). */
export class RuntimeRefusal extends Error {}

export class DebugRuntime extends EventEmitter<RuntimeEvents> {
  readonly program: GuestProgram;
  private readonly book = new BreakpointBook();
  private exceptionFilters = new Set(EXCEPTION_FILTERS.map((f) => f.id));
  private sandbox: Sandbox | undefined;
  private exec: Execution | undefined;
  private view: StopView | undefined;
  private running = false;
  private restarting = false;
  private finished = false;
  private readonly inspector: FrameInspector;
  private readonly breakpoints: BreakpointSetter;
  private readonly postMortemNote: Record<string, unknown> | undefined;

  private constructor(
    readonly plan: LaunchPlan,
    program: GuestProgram,
    note?: Record<string, unknown>,
  ) {
    super();
    this.program = program;
    this.postMortemNote = note;
    this.inspector = new FrameInspector(program);
    this.breakpoints = new BreakpointSetter({
      program,
      book: this.book,
      execution: () => this.exec,
      hostFunctionNames: () => this.sandbox?.hostFunctions.names() ?? ['HostPrint'],
      neverRuns: plan.kind === 'post-mortem' ? 'a post-mortem session never runs the guest, so no breakpoint can be hit' : undefined,
    });
  }

  get isPostMortem(): boolean {
    return this.plan.kind === 'post-mortem';
  }

  /** Creates the micro-VM and the debug call, stopped before its first instruction. */
  static launchLive(plan: LiveLaunch): DebugRuntime {
    const elf = ElfFile.fromFile(plan.program);
    const sandbox = Sandbox.create(plan.program, {
      timeoutMs: plan.timeoutMs,
      memorySize: plan.memorySize,
      crashDumpDir: plan.crashDumpDir,
      hostFunctions: [...plan.hostFunctions],
      onPrint: (text) => runtime.emit('output', { category: 'stdout', text }),
    });
    const runtime: DebugRuntime = new DebugRuntime(plan, new GuestProgram(plan.program, elf, sandbox.loadBias));
    runtime.sandbox = sandbox;
    runtime.beginCall();
    return runtime;
  }

  /** Opens a core file frozen at its stop; refuses a program the core was not made from. */
  static openCore(plan: PostMortemLaunch): DebugRuntime {
    const elf = ElfFile.fromFile(plan.program);
    const core = ElfFile.fromFile(plan.coreDump);
    const status = readCoreStatus(core);
    const loadBias = coreLoadBias(elf, core);
    checkCoreMatchesProgram(core, elf, loadBias, plan);
    const note = readMicroVmNote(core);
    const runtime = new DebugRuntime(plan, new GuestProgram(plan.program, elf, loadBias), note);
    const memory = new LayeredMemory([new ElfSegmentMemory(core), new ElfSegmentMemory(elf, loadBias)]);
    const machine = new CoreMachine(status.registers, memory);
    const stack = new StackView(runtime.program, machine);
    const top = stack.frame(0);
    const place = { functionName: top?.name, file: top?.file, line: top?.line };
    const words = noteExceptionWords(note, place);
    const report: StopReport = words
      ? { reason: 'exception', description: `Post-mortem: ${words.description}`, breakpointIds: [] }
      : { reason: 'pause', description: `Post-mortem: ${typeof note?.call === 'string' ? note.call : 'core file'}`, breakpointIds: [] };
    runtime.view = { report, machine, stack, exception: words };
    return runtime;
  }

  // ---------------------------------------------------------------------------------------------
  // Starting and ending

  private beginCall(): void {
    const plan = this.plan as LiveLaunch;
    const call = this.sandbox!.debugCall(plan.functionName, ...plan.args);
    this.exec = new Execution(call, this.book, {
      judge: (hit) => this.judge(hit),
      exceptionFilters: () => this.exceptionFilters,
    });
    call.breakOnHostCalls(this.book.hostFunctionNames());
  }

  private get call(): DebugCall {
    if (!this.exec) throw new RuntimeRefusal('this is a post-mortem session: the guest cannot run');
    return this.exec.call;
  }

  /**
   * Starts the call after configuration: to the first breakpoint, or (stopOnEntry) to the
   * function's first line. Post-mortem: reports the frozen stop.
   */
  async start(): Promise<void> {
    if (this.isPostMortem) {
      this.emitStop(this.view!.report);
      return;
    }
    const plan = this.plan as LiveLaunch;
    await this.operate(async () => {
      if (!plan.stopOnEntry) return this.exec!.run();
      const entry = this.program.functionBreaks(plan.functionName)[0];
      if (!entry) return this.exec!.run();
      await this.exec!.pinTemporary(entry.address);
      try {
        const halt = await this.exec!.run();
        return halt.kind === 'pinned' ? { kind: 'report', stop: { reason: 'entry', description: `Paused on entry to ${plan.functionName}`, breakpointIds: [] } } : halt;
      } finally {
        await this.exec!.releaseTemporary();
      }
    });
  }

  async continue(): Promise<void> {
    this.requireLive('continue');
    await this.operate(() => this.exec!.run());
  }

  async step(kind: LineStep, granularity: Granularity): Promise<void> {
    this.requireLive('step');
    const returnFrom = kind === 'out' ? this.inspector.returnSource(this.requireView().stack.frame(0)) : undefined;
    await this.operate(async () => {
      if (granularity === 'instruction' && kind !== 'out') {
        const halt = await this.exec!.step();
        return halt.kind === 'stepped' ? ((await this.exec!.breakpointsAtPc()) ?? halt) : halt;
      }
      return new Stepper(this.program, this.exec!).step(kind);
    }, returnFrom);
  }

  /** Stops a running guest ('pause'); nothing happens when it is not running. */
  pause(): void {
    if (this.running) this.exec?.call.pause();
  }

  /** Runs the call again from the snapshot, with the same breakpoints. */
  async restart(): Promise<void> {
    if (this.isPostMortem) throw new RuntimeRefusal('cannot restart: this is a post-mortem session on a core file; nothing can run');
    if (!this.sandbox || !this.exec) throw new RuntimeRefusal('cannot restart: the session was terminated');
    if (this.running) {
      // The operation in flight ends at this pause; nobody should see that stop.
      this.restarting = true;
      this.call.pause();
      await this.idle();
      this.restarting = false;
    }
    const old = this.exec;
    this.exec = undefined;
    this.view = undefined;
    await old.call.abort();
    this.finished = false;
    this.beginCall();
    await this.breakpoints.reapply(this.exec!);
    await this.start();
  }

  /** Ends the call (if it runs) and disposes the micro-VM. Always safe to call. */
  async terminate(): Promise<void> {
    const call = this.exec?.call;
    this.exec = undefined;
    this.view = undefined;
    try {
      await call?.abort();
    } catch {
      // The sandbox is disposed below either way.
    }
    this.sandbox?.dispose();
    this.sandbox = undefined;
    this.program.dispose();
  }

  private waiters: Array<() => void> = [];

  private idle(): Promise<void> {
    return this.running ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
  }

  /** Runs one run-control operation: at most one at a time; its end is a stop or the call's end. */
  private async operate(body: () => Promise<Halt>, returnFrom?: ReturnValueSource): Promise<void> {
    if (this.running) throw new RuntimeRefusal('the guest is already running');
    if (this.finished) throw new RuntimeRefusal('the call has ended; restart to run it again');
    this.running = true;
    this.view = undefined;
    let halt: Halt;
    try {
      halt = await body();
    } catch (error) {
      halt = { kind: 'ended', state: { kind: 'failed', error: isMicroVmError(error) ? error : new MicroVmError('INTERNAL', (error as Error).message) } };
      if (this.exec && (this.exec.call.state.kind === 'stopped' || this.exec.call.state.kind === 'running')) await this.exec.call.abort();
    } finally {
      this.running = false;
      for (const wake of this.waiters.splice(0)) wake();
    }
    if (!this.exec || this.restarting) return; // terminated or restarting meanwhile
    if (halt.kind === 'ended') return this.end(halt.state);
    const report: StopReport = halt.kind === 'report' ? halt.stop : { reason: 'step', description: 'Paused after step', breakpointIds: [] };
    this.showStop(report, report.reason === 'step' ? returnFrom : undefined);
  }

  private showStop(report: StopReport, returnFrom?: ReturnValueSource): void {
    const machine = this.exec!.machine;
    const stack = new StackView(this.program, machine);
    let exception: ExceptionWords | undefined;
    if (report.exception) {
      const top = stack.frame(0);
      exception = exceptionWords(report.exception, { functionName: top?.name, file: top?.file, line: top?.line });
    }
    this.view = { report, machine, stack, exception, returnValue: returnFrom };
    this.emitStop(report);
  }

  private emitStop(report: StopReport): void {
    this.emit('stopped', { ...report, text: this.view?.exception?.description });
  }

  private end(state: DebugCallState & { kind: 'finished' | 'failed' }): void {
    this.finished = true;
    this.view = undefined;
    const plan = this.plan as LiveLaunch;
    if (state.kind === 'finished') {
      const result = state.result;
      const signature = this.sandbox?.findFunction(plan.functionName);
      const separator = result.output !== '' && !result.output.endsWith('\n') ? '\n' : '';
      this.emit('output', { category: 'console', text: `${separator}${plan.functionName} => ${formatValue(result.value, signature?.returnType)} (${formatDuration(result.durationUs)})\n` });
      this.emit('ended', { exitCode: 0 });
    } else {
      this.emit('output', { category: 'stderr', text: `${formatError(state.error)}\n` });
      this.emit('ended', { exitCode: 1 });
    }
  }

  /** Throws a RuntimeRefusal (synchronously) when a run-control request cannot be served now. */
  assertCanRun(action: string): void {
    this.requireLive(action);
    if (this.running) throw new RuntimeRefusal(`cannot ${action}: the guest is already running`);
  }

  private requireLive(action: string): void {
    if (this.isPostMortem) throw new RuntimeRefusal(`cannot ${action}: this is a post-mortem session on a core file; nothing can run`);
    if (this.finished) throw new RuntimeRefusal(`cannot ${action}: the call has ended; restart to run it again`);
  }

  private requireView(): StopView {
    if (this.view) return this.view;
    if (this.running) throw new RuntimeRefusal('the guest is running; pause it first');
    throw new RuntimeRefusal(this.finished ? 'the call has ended' : 'the guest is not stopped');
  }

  // ---------------------------------------------------------------------------------------------
  // Breakpoints

  setExceptionFilters(ids: readonly string[]): void {
    this.exceptionFilters = new Set(ids);
  }

  /** Replaces the breakpoints of one source file; each comes back verified (at its real line) or with why not. */
  setSourceBreakpoints(path: string, specs: ReadonlyArray<{ line: number } & BreakpointOptions>): Promise<UserBreakpoint[]> {
    return this.breakpoints.setSource(path, specs);
  }

  /** Guest functions (by their DWARF name) and host functions (e.g. HostPrint: where the guest calls it). */
  setFunctionBreakpoints(specs: ReadonlyArray<{ name: string } & BreakpointOptions>): Promise<UserBreakpoint[]> {
    return this.breakpoints.setFunctions(specs);
  }

  setInstructionBreakpoints(specs: ReadonlyArray<{ address: bigint } & BreakpointOptions>): Promise<UserBreakpoint[]> {
    return this.breakpoints.setInstructions(specs);
  }

  setDataBreakpoints(specs: ReadonlyArray<DataBreakpointSpec>): Promise<UserBreakpoint[]> {
    return this.breakpoints.setData(specs);
  }

  /** What a data breakpoint on `name` (a variable of a scope row, or an expression) would watch. */
  dataBreakpointInfo(target: { node?: VariableNode; expression?: string; frameLevel?: number; asAddress?: boolean; bytes?: number }): DataBreakpointTarget | { reason: string } {
    if (this.isPostMortem) return { reason: 'a core file cannot be watched: nothing runs post-mortem' };
    const accessTypes: Array<'write' | 'readWrite'> = checkKvm().debugRegisters ? ['write', 'readWrite'] : ['write'];
    let location: { address: bigint; size: number } | undefined;
    let what: string;
    try {
      if (target.node) {
        location = target.node.dataLocation;
        what = target.node.evaluateName ?? target.node.name;
      } else {
        const view = this.requireView();
        what = target.expression ?? '';
        location = this.inspector.dataLocation(view.stack, view.machine, target.frameLevel ?? 0, what, target.asAddress ?? false, target.bytes, this.writers());
      }
    } catch (error) {
      return { reason: (error as Error).message };
    }
    if (!location) return { reason: `${what} does not live in memory (a register or a computed value), so it cannot be watched` };
    const size = location.size;
    if (![1, 2, 4, 8].includes(size)) return { reason: `${what} is ${size} bytes; a data breakpoint watches 1, 2, 4 or 8 bytes (watch a member or an element instead)` };
    if (location.address % BigInt(size) !== 0n) return { reason: `${what} at ${hex(location.address)} is not aligned to its size ${size}, which the CPU's watchpoints need` };
    return { dataId: `${hex(location.address)}/${size}`, description: `${what} (${size} bytes at ${hex(location.address)})`, accessTypes };
  }

  /** Conditions, hit counts and logpoints of the breakpoints hit: whether the guest stops. */
  private async judge(hit: readonly UserBreakpoint[]): Promise<boolean> {
    let stop = false;
    for (const bp of hit) {
      const view = this.peekView();
      const { condition, hitCondition, logMessage } = bp.options;
      if (condition) {
        try {
          if (!this.inspector.isTrue(view.stack, view.machine, condition, this.writers())) continue;
        } catch (error) {
          this.emit('output', { category: 'console', text: `Error in the condition of breakpoint ${bp.id} (${condition}): ${(error as Error).message}\n` });
          stop = true;
          continue;
        }
      }
      bp.hits++;
      if (hitCondition && !parseHitCondition(hitCondition)(bp.hits)) continue;
      if (logMessage) {
        const text = parseLogMessage(logMessage)
          .map((part) => ('text' in part ? part.text : this.inspector.logText(view.stack, view.machine, part.expression, this.writers())))
          .join('');
        this.emit('output', { category: 'console', text: `${text}\n` });
        continue;
      }
      stop = true;
    }
    return stop;
  }

  /** The machine at a stop the user does not see yet (a breakpoint being judged). */
  private peekView(): { stack: StackView; machine: StoppedMachine } {
    const machine = this.exec!.machine;
    return { stack: new StackView(this.program, machine), machine };
  }

  /** How values may be written at this stop: through the live machine, or not (and why). */
  private writers(): Writers {
    const exec = this.exec;
    const stop = exec?.call.state;
    if (!exec || stop?.kind !== 'stopped' || stop.stop.reason === 'exception') {
      return { readOnlyReason: this.isPostMortem ? 'this is a post-mortem session on a core file, which is read-only' : 'the guest stopped at an exception that ends the call: values can be read, not changed' };
    }
    return { machine: new RewindingMachine(exec.machine, () => this.machineChanged()) };
  }

  /** A write changed registers or memory: frames unwound before it are stale. */
  private machineChanged(): void {
    if (this.view) this.view = { ...this.view, stack: new StackView(this.program, this.view.machine) };
  }

  // ---------------------------------------------------------------------------------------------
  // Inspection

  stackTrace(start: number, count: number): { frames: StackFrame[]; total: number } {
    return this.requireView().stack.range(start, count);
  }

  scopes(level: number): ScopeInfo[] {
    const view = this.requireView();
    const frame = view.stack.frame(level);
    if (!frame) throw new RuntimeRefusal(`there is no frame ${level}`);
    const writers = this.writers();
    const scopes: ScopeInfo[] = [];
    if (level === 0 && view.returnValue) {
      const value = this.inspector.returnValue(view.returnValue, view.stack, view.machine);
      if (value) scopes.push({ name: 'Return value', kind: 'return-value', node: group('Return value', '', () => [value]), expensive: false });
    }
    scopes.push({ name: 'Locals', kind: 'locals', node: group('Locals', '', () => this.inspector.locals(view.stack, view.machine, level, writers)), expensive: false });
    scopes.push({ name: 'Globals', kind: 'globals', node: group('Globals', '', () => this.inspector.globals(view.stack, view.machine, level, writers)), expensive: true });
    scopes.push({
      name: 'Registers',
      kind: 'registers',
      node: group('Registers', '', () =>
        registerRows({
          frame: frame.physical.registers,
          machine: view.machine.registers,
          innermost: frame.physical.index === 0,
          noteControl: this.noteControlRegisters(),
          write: writers.machine ? (writes) => writers.machine!.writeRegisters(writes) : undefined,
        }),
      ),
      expensive: true,
    });
    scopes.push({ name: 'Host calls', kind: 'host-calls', node: group('Host calls', '', () => this.hostCallRows()), expensive: false });
    return scopes;
  }

  private noteControlRegisters(): Record<string, string> | undefined {
    const control = this.postMortemNote?.controlRegisters;
    if (!control || typeof control !== 'object') return undefined;
    return Object.fromEntries(Object.entries(control as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  }

  private hostCallRows(): VariableNode[] {
    type Row = { function: string; args: readonly unknown[]; result?: unknown; error?: string; durationUs: number };
    const calls: readonly Row[] = this.exec
      ? this.exec.call.hostCalls
      : Array.isArray(this.postMortemNote?.hostCalls) ? (this.postMortemNote!.hostCalls as Row[]) : [];
    const shown = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : value instanceof Uint8Array ? `0x${Buffer.from(value).toString('hex')}` : String(value));
    return calls.map((call, index) => {
      const summary = `${call.function}(${call.args.map(shown).join(', ')}) ${call.error !== undefined ? `threw ${call.error}` : `=> ${shown(call.result)}`}`;
      return group(`[${index}]`, summary, () => [
        leaf('function', call.function),
        ...call.args.map((arg, i) => leaf(`arg ${i + 1}`, shown(arg))),
        call.error !== undefined ? leaf('error', call.error) : leaf('result', shown(call.result)),
        leaf('duration', formatDuration(call.durationUs)),
      ]);
    });
  }

  /** Evaluates a C expression in a frame (the innermost by default). */
  evaluate(expression: string, level = 0): VariableNode {
    const view = this.requireView();
    return this.inspector.evaluate(view.stack, view.machine, level, expression, this.writers());
  }

  readMemory(address: bigint, count: number): MemoryRead {
    const view = this.requireView();
    const chunks: Uint8Array[] = [];
    let read = 0;
    // Page by page, so that the readable part before an unmapped page is still returned.
    while (read < count) {
      const at = address + BigInt(read);
      const pageLeft = Number(0x1000n - (at & 0xfffn));
      const length = Math.min(pageLeft, count - read);
      const bytes = view.machine.read(at, length);
      if (!bytes) break;
      chunks.push(bytes);
      read += length;
    }
    return { address, data: Buffer.concat(chunks), unreadable: count - read };
  }

  writeMemory(address: bigint, data: Uint8Array): void {
    this.requireView();
    const writers = this.writers();
    if (!writers.machine) throw new RuntimeRefusal(`cannot write memory: ${writers.readOnlyReason}`);
    writers.machine.writeMemory(address, data);
  }

  disassemble(address: bigint, instructionOffset: number, count: number): DisassembledLine[] {
    const view = this.requireView();
    return disassembleAround(this.program, view.machine, address, instructionOffset, count);
  }

  /** The exception of the current stop, in words. */
  exceptionInfo(): ExceptionWords {
    const view = this.requireView();
    if (!view.exception) throw new RuntimeRefusal('the guest is not stopped at an exception');
    return view.exception;
  }

  /** The core file of the current state (a live stop), written into `directory`. */
  dumpCore(directory: string): string {
    this.requireView();
    return this.call.dumpCore(directory);
  }
}

/** A guest ELF that can be debugged: exists and is an ELF file. */
export function checkProgramFile(path: string): void {
  let bytes: Buffer;
  try {
    bytes = readInputFile(path);
  } catch (error) {
    throw new Error(`program ${(error as Error).message}`);
  }
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new Error(`program ${path} is not an ELF file (build the guest first, e.g. \`microvm build\`)`);
  }
}
