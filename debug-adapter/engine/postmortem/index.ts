// Post-mortem and source-level stack views: backtraces with inlined frames and arguments, and the
// summary of a crash dump. No DAP types.
export { sourceBacktrace, formatBacktrace, frameVariables, physicalFrames } from './backtrace';
export type { Backtrace, SourceFrame, FrameArgument, FrameVariable } from './backtrace';
export { summarizeCore, formatCoreRegisters } from './core-summary';
export type { CoreSummary } from './core-summary';
