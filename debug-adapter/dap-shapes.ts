// The runtime's answers in DAP's shapes: frames, scopes, variables, breakpoints, instructions.
// Pure conversions; the session decides when to send them.
import path from 'node:path';
import { Breakpoint, Source, StackFrame as DapStackFrame } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { DisassembledLine, ScopeInfo, StackFrame, UserBreakpoint, VariableNode } from './engine/runtime';

export const THREAD_ID = 1;

/** Above this many children, VS Code is told to page them (indexedVariables). */
const PAGE_THRESHOLD = 100;

export function hexAddress(address: bigint): string {
  return `0x${address.toString(16)}`;
}

/** A memory or instruction reference back to an address; throws on anything but 0x hex or decimal. */
export function parseReference(reference: string, offset = 0): bigint {
  const text = reference.trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) throw new Error(`${JSON.stringify(reference)} is not an address (expected 0x hex)`);
  return BigInt(text) + BigInt(offset);
}

export function sourceOf(file: string | undefined): Source | undefined {
  return file ? new Source(path.basename(file), file) : undefined;
}

/** Frame ids are levels + 1: a stop invalidates them all, and 0 reads as "none" to some clients. */
export function frameId(level: number): number {
  return level + 1;
}

export function frameLevel(id: number | undefined): number {
  return id === undefined || id < 1 ? 0 : id - 1;
}

export function dapFrame(frame: StackFrame): DebugProtocol.StackFrame {
  const dap: DebugProtocol.StackFrame = new DapStackFrame(frameId(frame.level), frame.name, sourceOf(frame.file), frame.line ?? 0, frame.column ?? 0);
  dap.instructionPointerReference = hexAddress(frame.pc);
  if (!frame.file) dap.presentationHint = 'subtle';
  if (frame.inlined) dap.name = `${frame.name} [inlined]`;
  return dap;
}

const SCOPE_HINTS: Record<ScopeInfo['kind'], string | undefined> = {
  locals: 'locals',
  globals: undefined,
  registers: 'registers',
  'host-calls': undefined,
  'return-value': 'returnValue',
};

export function dapScope(scope: ScopeInfo, reference: number): DebugProtocol.Scope {
  return { name: scope.name, variablesReference: reference, expensive: scope.expensive, presentationHint: SCOPE_HINTS[scope.kind] };
}

export function dapVariable(node: VariableNode, reference: number): DebugProtocol.Variable {
  const variable: DebugProtocol.Variable = { name: node.name, value: node.value, type: node.type, variablesReference: node.childCount > 0 ? reference : 0 };
  if (node.evaluateName) variable.evaluateName = node.evaluateName;
  if (node.memoryReference !== undefined) variable.memoryReference = hexAddress(node.memoryReference);
  if (node.childCount > PAGE_THRESHOLD) variable.indexedVariables = node.childCount;
  if (node.readOnly || !node.set) variable.presentationHint = { attributes: ['readOnly'] };
  return variable;
}

export function dapBreakpoint(bp: UserBreakpoint): DebugProtocol.Breakpoint {
  const dap: DebugProtocol.Breakpoint = new Breakpoint(bp.verified, bp.line, undefined, sourceOf(bp.file));
  dap.id = bp.id;
  if (bp.message) dap.message = bp.message;
  if (bp.addresses.length > 0) dap.instructionReference = hexAddress(bp.addresses[0]);
  if (!bp.verified) dap.reason = 'failed';
  return dap;
}

export function dapInstruction(line: DisassembledLine): DebugProtocol.DisassembledInstruction {
  const instruction: DebugProtocol.DisassembledInstruction = { address: hexAddress(line.address), instruction: line.text, instructionBytes: line.bytes };
  if (line.symbol) instruction.symbol = line.symbol;
  if (line.file) instruction.location = sourceOf(line.file);
  if (line.line) instruction.line = line.line;
  if (line.text === '??') instruction.presentationHint = 'invalid';
  return instruction;
}
