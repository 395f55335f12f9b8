// Post-mortem and source-level stack views: backtraces with inlined frames and arguments, and the
// summary of a crash dump. No DAP types.
export { sourceBacktrace, formatBacktrace, frameVariables, physicalFrames, DEFAULT_BACKTRACE_FRAMES } from './backtrace';
export type { Backtrace, SourceFrame, FrameArgument, FrameVariable } from './backtrace';
export { summarizeCore, formatCoreRegisters, coreLoadBias } from './core-summary';
export type { CoreSummary, SummaryOptions } from './core-summary';
export { checkCoreMatchesProgram, coreMismatch } from './core-match';
