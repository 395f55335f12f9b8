// A trap reaches the host as an abort record of code 5 whose message the Wasm runtime wrote
// (guest-templates/sdk/wasm/host/wasm_rt.c): "wasm trap: <words> in <function> (function N,
// offset 0xO)". This turns that GUEST_ABORT into a WASM_TRAP error with the trap's kind, the
// Wasm function and, from the module's line table, the source line.
import { MicroVmError, type WasmTrapDetails } from '../errors';
import type { LineTable } from './dwarf-lines';

export const WASM_TRAP_ABORT_CODE = 5;

/** The runtime's words for each trap, and the kind the host reports. */
export const TRAP_KINDS: Readonly<Record<string, string>> = {
  'unreachable executed': 'unreachable',
  'out of bounds memory access': 'out-of-bounds-memory-access',
  'integer divide by zero': 'integer-divide-by-zero',
  'integer overflow': 'integer-overflow',
  'invalid conversion to integer': 'invalid-conversion-to-integer',
  'undefined element': 'undefined-element',
  'uninitialized element': 'uninitialized-element',
  'indirect call type mismatch': 'indirect-call-type-mismatch',
  'call stack exhausted': 'call-stack-exhausted',
  'out of bounds table access': 'out-of-bounds-table-access',
};

const ABORT = /aborted \(code 5\): wasm trap: (.+?) in (.+) \(function (\d+), offset 0x([0-9a-f]+)\)$/;
const INSTANTIATION = /aborted \(code 5\): wasm trap: (.+?) in instantiation \((.+)\)$/;

export interface TrapSource {
  readonly lines: LineTable;
  readonly codeSectionStart: number;
  readonly functionNames: readonly string[];
}

/** The WASM_TRAP error for a GUEST_ABORT that reports a trap; other errors come back unchanged. */
export function wasmTrapError(error: unknown, source: TrapSource): unknown {
  if (!(error instanceof MicroVmError) || error.code !== 'GUEST_ABORT') return error;
  const instantiation = INSTANTIATION.exec(error.message);
  if (instantiation) {
    const trap = TRAP_KINDS[instantiation[1]] ?? instantiation[1];
    const details: WasmTrapDetails = { trap, wasmFunction: '(instantiation)', functionIndex: -1, offset: 0 };
    return new MicroVmError('WASM_TRAP', `instantiating the Wasm module trapped: ${instantiation[1]} (${instantiation[2]})`, { ...error.details, wasmTrap: details });
  }
  const match = ABORT.exec(error.message);
  if (!match) return error;
  const [, words, , indexText, offsetText] = match;
  const functionIndex = Number(indexText);
  const offset = parseInt(offsetText, 16);
  const wasmFunction = source.functionNames[functionIndex] ?? match[2];
  const place = offset > 0 ? source.lines.at(offset - source.codeSectionStart) : undefined;
  const details: WasmTrapDetails = {
    trap: TRAP_KINDS[words] ?? words,
    wasmFunction,
    functionIndex,
    offset,
    ...(place ? { file: place.file, line: place.line } : {}),
  };
  const where = place ? ` at ${place.file}:${place.line}` : '';
  const call = error.details.functionName ? `guest function ${error.details.functionName}: ` : '';
  return new MicroVmError('WASM_TRAP', `${call}${words} in Wasm function ${wasmFunction}${where} (function ${functionIndex}, module offset 0x${offset.toString(16)})`, { ...error.details, wasmTrap: details });
}
