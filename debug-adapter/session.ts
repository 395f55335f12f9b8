// The DAP session for `microvm` debugging: it translates requests into DebugRuntime calls and
// runtime events into DAP events, and nothing else (vscode-mock-debug's mockDebug.ts is the
// model). Used over stdio by dist/debug-adapter.js and inline by the VS Code extension.
import {
  BreakpointEvent, DebugSession, ExitedEvent, Handles, InitializedEvent, OutputEvent, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import path from 'node:path';
import {
  dapBreakpoint, dapFrame, dapInstruction, dapScope, dapVariable, frameLevel, hexAddress, parseReference, THREAD_ID,
} from './dap-shapes';
import { DebugRuntime, EXCEPTION_FILTERS, type LineStep, type VariableNode } from './engine/runtime';
import { LaunchConfigError, parseLaunchConfig } from './engine/runtime/launch-config';
import { resolveWasmProgram } from '../native/lib/wasm';

/**
 * A Wasm module as "program" is debugged as its translated guest ELF, whose DWARF points into the
 * module's own sources (docs/wasm-guests.md, "Debugging").
 */
function withWasmProgram(args: DebugProtocol.LaunchRequestArguments): DebugProtocol.LaunchRequestArguments {
  const config = args as Record<string, unknown>;
  if (typeof config.program !== 'string' || config.program.trim() === '') return args;
  const cwd = typeof config.cwd === 'string' && config.cwd !== '' ? config.cwd : process.cwd();
  const program = path.resolve(cwd, config.program);
  const elf = resolveWasmProgram(program);
  return elf === program ? args : ({ ...config, program: elf } as DebugProtocol.LaunchRequestArguments);
}

/** Error ids of this adapter's error responses. */
const ERROR = { launch: 1001, request: 1002 } as const;

export class MicroVmDebugSession extends DebugSession {
  private runtime: DebugRuntime | undefined;
  /** Rows of the variables view for this stop; a stop or a write makes them stale. */
  private readonly nodes = new Handles<VariableNode>();

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  /**
   * The protocol says a client that sends no `pathFormat` means `path`; @vscode/debugadapter refuses
   * such an `initialize` outright, so the default is filled in first.
   */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    if (request.command === 'initialize' && request.arguments && (request.arguments as DebugProtocol.InitializeRequestArguments).pathFormat === undefined) {
      request.arguments = { ...request.arguments, pathFormat: 'path' };
    }
    super.dispatchRequest(request);
  }

  /** An inline adapter is disposed when VS Code ends the session, with or without a disconnect. */
  override dispose(): void {
    void this.runtime?.terminate();
    super.dispose();
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsSetVariable: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportsDelayedStackTraceLoading: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsSteppingGranularity: true,
      supportsInstructionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      supportsExceptionInfoRequest: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({ filter: f.id, label: f.label, description: f.description, default: true })),
    };
    this.sendResponse(response);
  }

  /** Runs a request's body and answers it; any failure becomes an error response, never a crash. */
  private async answer<R extends DebugProtocol.Response>(response: R, body: () => Promise<void> | void): Promise<void> {
    try {
      await body();
      this.sendResponse(response);
    } catch (error) {
      this.sendErrorResponse(response, { id: ERROR.request, format: (error as Error).message.replace(/[{}]/g, (c) => (c === '{' ? '(' : ')')), showUser: false });
    }
  }

  private get live(): DebugRuntime {
    if (!this.runtime) throw new Error('no debug session is running: launch first');
    return this.runtime;
  }

  // ---------------------------------------------------------------------------------------------
  // Launching and ending

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    let runtime: DebugRuntime;
    try {
      const plan = parseLaunchConfig(withWasmProgram(args));
      runtime = plan.kind === 'live' ? DebugRuntime.launchLive(plan) : DebugRuntime.openCore(plan);
    } catch (error) {
      // One message that says what to fix, then the session ends.
      const message = error instanceof LaunchConfigError ? error.message : `cannot start: ${(error as Error).message}`;
      this.sendErrorResponse(response, { id: ERROR.launch, format: message.replace(/[{}]/g, (c) => (c === '{' ? '(' : ')')), showUser: true });
      this.sendEvent(new TerminatedEvent());
      return;
    }
    this.runtime = runtime;
    runtime.on('stopped', (stop) => {
      this.nodes.reset();
      const event: DebugProtocol.StoppedEvent = new StoppedEvent(stop.reason, THREAD_ID, stop.text);
      event.body.description = stop.description;
      event.body.allThreadsStopped = true;
      if (stop.breakpointIds.length > 0) event.body.hitBreakpointIds = [...stop.breakpointIds];
      this.sendEvent(event);
    });
    runtime.on('output', (output) => this.sendEvent(new OutputEvent(output.text, output.category)));
    runtime.on('breakpoint', (bp) => this.sendEvent(new BreakpointEvent('changed', dapBreakpoint(bp))));
    runtime.on('ended', ({ exitCode }) => {
      this.sendEvent(new ExitedEvent(exitCode));
      this.sendEvent(new TerminatedEvent());
    });
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.run(() => this.live.start());
  }

  /** Starts a run-control operation whose outcome arrives as events. */
  private run(operation: () => Promise<void>): void {
    operation().catch((error: Error) => this.sendEvent(new OutputEvent(`${error.message}\n`, 'stderr')));
  }

  private runControl(response: DebugProtocol.Response, action: string, operation: (runtime: DebugRuntime) => Promise<void>): void {
    try {
      this.live.assertCanRun(action);
    } catch (error) {
      this.sendErrorResponse(response, { id: ERROR.request, format: (error as Error).message, showUser: true });
      return;
    }
    this.sendResponse(response);
    this.run(() => operation(this.live));
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.runControl(response, 'continue', (runtime) => runtime.continue());
  }

  private stepRequest(response: DebugProtocol.Response, kind: LineStep, granularity: DebugProtocol.SteppingGranularity | undefined): void {
    this.runControl(response, 'step', (runtime) => runtime.step(kind, granularity === 'instruction' ? 'instruction' : 'line'));
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.stepRequest(response, 'over', args.granularity);
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.stepRequest(response, 'in', args.granularity);
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.stepRequest(response, 'out', args.granularity);
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    void this.answer(response, () => this.live.pause());
  }

  protected override restartRequest(response: DebugProtocol.RestartResponse): void {
    if (this.live.isPostMortem) {
      this.sendErrorResponse(response, { id: ERROR.request, format: 'a post-mortem session cannot restart: nothing runs', showUser: true });
      return;
    }
    this.sendResponse(response);
    this.run(() => this.live.restart());
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    void this.answer(response, async () => {
      await this.runtime?.terminate();
      this.sendEvent(new TerminatedEvent());
    });
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    // The micro-VM goes with the session; a stdio adapter then exits (an inline one stays).
    void this.answer(response, () => this.runtime?.terminate()).then(() => this.shutdown());
  }

  // ---------------------------------------------------------------------------------------------
  // Breakpoints

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    void this.answer(response, async () => {
      const path = args.source.path;
      if (!path) throw new Error('setBreakpoints needs a source with a path');
      const given: DebugProtocol.SourceBreakpoint[] = args.breakpoints ?? args.lines?.map((line) => ({ line })) ?? [];
      const specs = given.map((bp) => ({
        line: this.convertClientLineToDebugger(bp.line),
        condition: bp.condition,
        hitCondition: bp.hitCondition,
        logMessage: bp.logMessage,
      }));
      response.body = { breakpoints: (await this.live.setSourceBreakpoints(path, specs)).map(dapBreakpoint) };
    });
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    void this.answer(response, async () => {
      response.body = { breakpoints: (await this.live.setFunctionBreakpoints(args.breakpoints)).map(dapBreakpoint) };
    });
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    void this.answer(response, async () => {
      const specs = args.breakpoints.map((bp) => ({ ...bp, address: parseReference(bp.instructionReference, bp.offset ?? 0) }));
      response.body = { breakpoints: (await this.live.setInstructionBreakpoints(specs)).map(dapBreakpoint) };
    });
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    void this.answer(response, () => {
      const ids = [...args.filters, ...(args.filterOptions ?? []).map((f) => f.filterId)];
      this.live.setExceptionFilters(ids);
      response.body = { breakpoints: ids.map(() => ({ verified: true })) };
    });
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    void this.answer(response, () => {
      let node: VariableNode | undefined;
      if (args.variablesReference !== undefined && args.variablesReference !== 0) {
        node = this.childNamed(args.variablesReference, args.name);
      }
      const info = this.live.dataBreakpointInfo({ node, expression: args.name, frameLevel: frameLevel(args.frameId), asAddress: args.asAddress, bytes: args.bytes });
      response.body = 'dataId' in info
        ? { dataId: info.dataId, description: info.description, accessTypes: [...info.accessTypes], canPersist: false }
        : { dataId: null, description: info.reason };
    });
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    void this.answer(response, async () => {
      response.body = { breakpoints: (await this.live.setDataBreakpoints(args.breakpoints)).map(dapBreakpoint) };
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Inspection

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const plan = this.runtime?.plan;
    const name = plan?.kind === 'live' ? `${plan.functionName} (micro-VM vCPU 0)` : 'vCPU 0 (core file)';
    response.body = { threads: [new Thread(THREAD_ID, name)] };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    void this.answer(response, () => {
      const start = args.startFrame ?? 0;
      const levels = args.levels && args.levels > 0 ? args.levels : 1000;
      const { frames, total } = this.live.stackTrace(start, levels);
      response.body = { stackFrames: frames.map(dapFrame), totalFrames: total };
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    void this.answer(response, () => {
      response.body = { scopes: this.live.scopes(frameLevel(args.frameId)).map((scope) => dapScope(scope, this.nodes.create(scope.node))) };
    });
  }

  private node(reference: number): VariableNode {
    const node = this.nodes.get(reference);
    if (!node) throw new Error(`variables reference ${reference} is stale: the guest ran since it was given out`);
    return node;
  }

  private childNamed(reference: number, name: string): VariableNode {
    const container = this.node(reference);
    const child = container.children?.(0, container.childCount).find((c) => c.name === name);
    if (!child) throw new Error(`${container.name} has no ${name}`);
    return child;
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    void this.answer(response, () => {
      const node = this.node(args.variablesReference);
      const start = args.start ?? 0;
      const count = args.count && args.count > 0 ? args.count : node.childCount;
      const children = node.children?.(start, count) ?? [];
      response.body = { variables: children.map((child) => dapVariable(child, child.childCount > 0 ? this.nodes.create(child) : 0)) };
    });
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    void this.answer(response, () => {
      const target = this.childNamed(args.variablesReference, args.name);
      if (!target.set) throw new Error(`${args.name} cannot be changed`);
      const updated = target.set(args.value);
      response.body = { value: updated.value, type: updated.type, variablesReference: updated.childCount > 0 ? this.nodes.create(updated) : 0 };
      if (updated.memoryReference !== undefined) response.body.memoryReference = hexAddress(updated.memoryReference);
    });
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    void this.answer(response, () => {
      const result = this.live.evaluate(args.expression, frameLevel(args.frameId));
      response.body = { result: result.value, type: result.type, variablesReference: result.childCount > 0 ? this.nodes.create(result) : 0 };
      if (result.memoryReference !== undefined) response.body.memoryReference = hexAddress(result.memoryReference);
    });
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    void this.answer(response, () => {
      const words = this.live.exceptionInfo();
      response.body = { exceptionId: words.id, description: words.description, breakMode: 'always', details: { message: words.description, typeName: words.id, stackTrace: words.details } };
    });
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    void this.answer(response, () => {
      const read = this.live.readMemory(parseReference(args.memoryReference, args.offset ?? 0), args.count);
      response.body = { address: hexAddress(read.address), data: Buffer.from(read.data).toString('base64'), unreadableBytes: read.unreadable };
    });
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    void this.answer(response, () => {
      const data = Buffer.from(args.data, 'base64');
      this.live.writeMemory(parseReference(args.memoryReference, args.offset ?? 0), data);
      this.nodes.reset();
      response.body = { bytesWritten: data.length };
      this.sendEvent({ event: 'invalidated', seq: 0, type: 'event', body: { areas: ['variables'] } } as DebugProtocol.InvalidatedEvent);
    });
  }

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    void this.answer(response, () => {
      const address = parseReference(args.memoryReference, args.offset ?? 0);
      response.body = { instructions: this.live.disassemble(address, args.instructionOffset ?? 0, args.instructionCount).map(dapInstruction) };
    });
  }
}
