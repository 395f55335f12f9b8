// Unwinding without CFI: the rbp chain (push rbp; mov rbp, rsp), with a look at the innermost
// frame's code so that a stop on the first two prologue instructions still finds its caller.
import { Memory, readU64 } from './memory';
import { DWARF_RA, DWARF_RBP, DWARF_RSP } from './registers';

export interface FramePointerStep {
  readonly cfa: bigint;
  readonly caller: Map<number, bigint>;
}

const PUSH_RBP = 0x55;
const MOV_RBP_RSP = [0x48, 0x89, 0xe5];

function startsWith(bytes: Uint8Array | undefined, prefix: readonly number[]): boolean {
  return bytes !== undefined && prefix.every((b, i) => bytes[i] === b);
}

/**
 * The caller's registers from the frame-pointer convention, or undefined when the chain cannot be
 * followed (no rbp, unreadable stack). `innermost` allows the prologue check (only frame 0 can
 * stop between instructions of a prologue; callers sit at call sites).
 */
export function framePointerStep(registers: ReadonlyMap<number, bigint>, memory: Memory, innermost: boolean): FramePointerStep | undefined {
  const pc = registers.get(DWARF_RA);
  const rsp = registers.get(DWARF_RSP);
  const rbp = registers.get(DWARF_RBP);
  const caller = new Map(registers);
  let cfa: bigint;
  let savedRbpAt: bigint | undefined;
  if (innermost && pc !== undefined && rsp !== undefined && startsWith(memory.read(pc, 1), [PUSH_RBP])) {
    cfa = rsp + 8n; // at the entry: nothing pushed yet
  } else if (innermost && pc !== undefined && rsp !== undefined && startsWith(memory.read(pc - 1n, 4), [PUSH_RBP, ...MOV_RBP_RSP])) {
    cfa = rsp + 16n; // rbp pushed, not yet the frame pointer
    savedRbpAt = rsp;
  } else {
    if (rbp === undefined || rbp === 0n) return undefined;
    cfa = rbp + 16n;
    savedRbpAt = rbp;
  }
  const returnAddress = readU64(memory, cfa - 8n);
  if (returnAddress === undefined) return undefined;
  if (savedRbpAt !== undefined) {
    const savedRbp = readU64(memory, savedRbpAt);
    if (savedRbp === undefined) return undefined;
    caller.set(DWARF_RBP, savedRbp);
  }
  caller.set(DWARF_RA, returnAddress);
  caller.set(DWARF_RSP, cfa);
  return { cfa, caller };
}
