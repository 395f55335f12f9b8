// The debug runtime: source-level run control and inspection of a guest call in a live micro-VM
// (over a DebugCall) or of a core file, with no DAP types (vscode-mock-debug's mockRuntime is the
// model). Requests are methods; what happens comes back as events.
//
//   const runtime = DebugRuntime.launchLive(plan);           // stopped before the first instruction
//   runtime.on('stopped', (stop) => ...).on('output', ...).on('ended', ...);
//   await runtime.setSourceBreakpoints('hello.c', [{ line: 12 }]);
//   await runtime.start();                                  // to a breakpoint, or the entry
//   runtime.stackTrace(0, 20); runtime.scopes(0); runtime.evaluate('p->x');
//   await runtime.step('over', 'line');
//   DebugRuntime.openCore({ kind: 'post-mortem', program, coreDump })  // frozen, read-only
export { DebugRuntime, RuntimeRefusal, checkProgramFile } from './runtime';
export type { StoppedEvent, OutputEvent, EndedEvent, RuntimeEvents, Granularity, ScopeInfo, MemoryRead, DataBreakpointTarget } from './runtime';
export type { LaunchPlan, LiveLaunch, PostMortemLaunch } from './launch-plan';
export type { UserBreakpoint, BreakpointOptions, BreakpointKind } from './breakpoints';
export type { DataBreakpointSpec } from './breakpoint-setter';
export type { StackFrame } from './stack';
export type { VariableNode } from './variable-node';
export type { DisassembledLine } from './disassembly';
export type { ExceptionWords } from './exceptions';
export { EXCEPTION_FILTERS } from './exceptions';
export type { StopReport, StopReasonName } from './execution';
export type { LineStep } from './stepping';
